package main

import (
	"os"
	"syscall"
)

// attachConsole lets `santral.exe --version` print in the console it was started from: a GUI
// program (-H windowsgui) has no console of its own, so its output would go nowhere.
func attachConsole() {
	const attachParentProcess = ^uintptr(0) // (DWORD)-1
	attach := syscall.NewLazyDLL("kernel32.dll").NewProc("AttachConsole")
	if r, _, _ := attach.Call(attachParentProcess); r == 0 {
		return // started from Explorer, or already has one
	}
	if f, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
		os.Stdout, os.Stderr = f, f
	}
}
