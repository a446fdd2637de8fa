; Santral's Windows installer (NSIS 3, compiled on Linux by `make dist-windows` through
; build/dist, which passes VERSION, VERSION4, APP_EXE, APP_ICON, WEBVIEW2_SETUP, OUTFILE and,
; when a certificate is given, SIGN_CMD).
;
; Per-machine: C:\Program Files\Santral, Start-menu and desktop shortcuts for all users, an
; entry in Apps & features. Silent for IT (README "IT"):
;   santral-…-setup.exe /S /SERVER=https://santral.firma.com.tr /LANG=tr /AUTOSTART=1
; writes %ProgramData%\Santral\config.json, the machine-wide defaults the app reads
; (app/settings.go). Exit codes: 0 installed, 2 a parameter is wrong (or cancelled),
; 64 not 64-bit Windows.
; The uninstaller keeps every user's data and IT's config.json unless asked: /PURGE (or "yes"
; to its question) also removes the current user's Santral data and the machine config.

Unicode true
Target amd64-unicode
ManifestDPIAware true
SetCompressor /SOLID lzma
RequestExecutionLevel admin

!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "LogicLib.nsh"
!include "x64.nsh"
!include "StrFunc.nsh"
${StrStr}
${StrRep}

!define PRODUCT "Santral"
!define EXE "santral.exe"
!define REGKEY "Software\Santral"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Santral"
; WebView2 Evergreen runtime's client id (Microsoft: "Distribute your app and the WebView2 Runtime").
!define WEBVIEW2_ID "{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"
; The toast activator's COM class (app/notify/toast.go: toastGUID), registered per user.
!define TOAST_GUID "{6C1F4E0B-8A0D-4C45-9C4E-5A2B7D1E9F31}"

Name "${PRODUCT}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\${PRODUCT}"
InstallDirRegKey HKLM "${REGKEY}" "InstallDir"
BrandingText "${PRODUCT} ${VERSION}"

VIProductVersion "${VERSION4}"
VIFileVersion "${VERSION4}"
VIAddVersionKey /LANG=0 "ProductName" "${PRODUCT}"
VIAddVersionKey /LANG=0 "CompanyName" "${PRODUCT}"
VIAddVersionKey /LANG=0 "FileDescription" "${PRODUCT} installer"
VIAddVersionKey /LANG=0 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "LegalCopyright" "© 2026 ${PRODUCT}"

; Signing: the finished installer and the uninstaller it embeds (single quotes: makensis does
; not parse the double-quoted form).
!ifdef SIGN_CMD
  !finalize '${SIGN_CMD} "%1"' = 0
  !uninstfinalize '${SIGN_CMD} "%1"' = 0
!endif

!define MUI_ICON "${APP_ICON}"
!define MUI_UNICON "${APP_ICON}"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\${EXE}"
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "Turkish"
!insertmacro MUI_LANGUAGE "English"

LangString Need64 ${LANG_TURKISH} "Santral 64 bit Windows 10 veya üstü gerektirir."
LangString Need64 ${LANG_ENGLISH} "Santral needs 64-bit Windows 10 or later."
LangString BadServer ${LANG_TURKISH} "/SERVER= bir http:// veya https:// adresi olmalı (tırnak ve ters eğik çizgi olmadan)."
LangString BadServer ${LANG_ENGLISH} "/SERVER= must be an http:// or https:// address (without quotes or backslashes)."
LangString BadLang ${LANG_TURKISH} "/LANG= tr veya en olmalı."
LangString BadLang ${LANG_ENGLISH} "/LANG= must be tr or en."
LangString BadAutostart ${LANG_TURKISH} "/AUTOSTART= 1 veya 0 olmalı."
LangString BadAutostart ${LANG_ENGLISH} "/AUTOSTART= must be 1 or 0."
LangString AskPurge ${LANG_TURKISH} "Santral verileriniz de silinsin mi (ayarlar, önbellekteki konuşmalar) ve makine yapılandırması?"
LangString AskPurge ${LANG_ENGLISH} "Also delete your Santral data (settings, cached conversations) and the machine configuration?"

Var ServerURL
Var Lang
Var Autostart
Var Purge

; GetParam OPTION OUT: the value of OPTION (/SERVER=) on the command line, up to the next " /"
; or the end, quotes removed. (FileFunc's GetOptions cuts a value at its first "/", and a URL
; has two.) Case does not matter, as for NSIS's own /S and /D=.
!macro GetParam OPTION OUT
  ${GetParameters} $R0
  ${StrRep} $R0 " $R0" '"' ""
  ${StrStr} $R1 $R0 " ${OPTION}"
  StrCpy ${OUT} ""
  ${If} $R1 != ""
    StrLen $R2 " ${OPTION}"
    StrCpy $R1 $R1 "" $R2
    ${StrStr} $R3 $R1 " /"
    StrLen $R4 $R1
    StrLen $R5 $R3
    IntOp $R4 $R4 - $R5
    StrCpy ${OUT} $R1 $R4
  ${EndIf}
!macroend

; fail MESSAGE: a wrong parameter; in silent mode exit code 2, otherwise a message box.
!macro fail MESSAGE
  SetErrorLevel 2
  IfSilent +2
    MessageBox MB_ICONSTOP|MB_OK "${MESSAGE}"
  Quit
!macroend

Function .onInit
  ${IfNot} ${RunningX64}
    SetErrorLevel 64
    IfSilent +2
      MessageBox MB_ICONSTOP|MB_OK "$(Need64)"
    Quit
  ${EndIf}
  SetRegView 64
  SetShellVarContext all

  !insertmacro GetParam "/SERVER=" $ServerURL
  !insertmacro GetParam "/LANG=" $Lang
  !insertmacro GetParam "/AUTOSTART=" $Autostart

  ${If} $Lang == "tr"
    StrCpy $LANGUAGE ${LANG_TURKISH}
  ${ElseIf} $Lang == "en"
    StrCpy $LANGUAGE ${LANG_ENGLISH}
  ${ElseIf} $Lang != ""
    !insertmacro fail "$(BadLang)"
  ${EndIf}
  ${If} $Autostart != ""
  ${AndIf} $Autostart != "0"
  ${AndIf} $Autostart != "1"
    !insertmacro fail "$(BadAutostart)"
  ${EndIf}
  ${If} $ServerURL != ""
    StrCpy $R1 $ServerURL 8
    StrCpy $R2 $ServerURL 7
    ${If} $R1 != "https://"
    ${AndIf} $R2 != "http://"
      !insertmacro fail "$(BadServer)"
    ${EndIf}
    ; The value goes into JSON as is: refuse what would need escaping (quotes are gone).
    ${StrStr} $R4 $ServerURL "\"
    ${If} $R4 != ""
      !insertmacro fail "$(BadServer)"
    ${EndIf}
  ${EndIf}
FunctionEnd

; The machine-wide defaults (%ProgramData%\Santral\config.json, read by the app). Without any
; parameter an existing file is left as it is (IT may have written it). A parameter that is
; absent keeps the value an earlier install was given (remembered under HKLM\Software\Santral).
Function WriteMachineConfig
  ${If} $ServerURL == ""
  ${AndIf} $Lang == ""
  ${AndIf} $Autostart == ""
  ${AndIf} ${FileExists} "$APPDATA\${PRODUCT}\config.json"
    Return
  ${EndIf}
  ${If} $ServerURL == ""
    ReadRegStr $ServerURL HKLM "${REGKEY}" "ServerURL"
  ${EndIf}
  ${If} $Lang == ""
    ReadRegStr $Lang HKLM "${REGKEY}" "Language"
  ${EndIf}
  ${If} $Autostart == ""
    ReadRegStr $Autostart HKLM "${REGKEY}" "Autostart"
  ${EndIf}
  WriteRegStr HKLM "${REGKEY}" "ServerURL" $ServerURL
  WriteRegStr HKLM "${REGKEY}" "Language" $Lang
  WriteRegStr HKLM "${REGKEY}" "Autostart" $Autostart
  ${If} $Autostart == "1"
    StrCpy $R5 "true"
  ${ElseIf} $Autostart == "0"
    StrCpy $R5 "false"
  ${Else}
    StrCpy $R5 "null"
  ${EndIf}
  CreateDirectory "$APPDATA\${PRODUCT}"
  ClearErrors
  FileOpen $0 "$APPDATA\${PRODUCT}\config.json" w
  ${If} ${Errors}
    SetErrorLevel 1
    DetailPrint "cannot write $APPDATA\${PRODUCT}\config.json"
    Return
  ${EndIf}
  FileWrite $0 '{$\r$\n  "server_url": "$ServerURL",$\r$\n  "language": "$Lang",$\r$\n  "autostart": $R5$\r$\n}$\r$\n'
  FileClose $0
FunctionEnd

; WebView2: present on Windows 11 and on updated Windows 10. When it is missing, Microsoft's
; bootstrapper (packed here, 1.7 MB) installs the Evergreen runtime; it downloads it, so an
; offline PC needs the runtime deployed by IT first (README "IT"). The app itself also offers
; to install it when it starts without one.
Function EnsureWebView2
  ReadRegStr $0 HKLM "SOFTWARE\WOW6432Node\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_ID}" "pv"
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    ReadRegStr $0 HKCU "Software\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_ID}" "pv"
  ${EndIf}
  ${If} $0 != ""
  ${AndIf} $0 != "0.0.0.0"
    DetailPrint "WebView2 $0 is installed"
    WriteRegStr HKLM "${REGKEY}" "WebView2" "present $0"
    Return
  ${EndIf}
  DetailPrint "installing the WebView2 runtime"
  SetOutPath "$PLUGINSDIR"
  File "/oname=MicrosoftEdgeWebview2Setup.exe" "${WEBVIEW2_SETUP}"
  ExecWait '"$PLUGINSDIR\MicrosoftEdgeWebview2Setup.exe" /silent /install' $1
  WriteRegStr HKLM "${REGKEY}" "WebView2" "bootstrapper exit $1"
  SetOutPath "$INSTDIR"
FunctionEnd

Section "Santral" SecMain
  SetRegView 64
  SetShellVarContext all
  SetOutPath "$INSTDIR"
  File "/oname=${EXE}" "${APP_EXE}"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortcut "$SMPROGRAMS\${PRODUCT}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0
  CreateShortcut "$DESKTOP\${PRODUCT}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0
  ; The supervisors' dashboard window: the same program in dashboard mode, a window of its own.
  CreateShortcut "$SMPROGRAMS\${PRODUCT} Pano.lnk" "$INSTDIR\${EXE}" "--dashboard" "$INSTDIR\${EXE}" 0

  Call WriteMachineConfig
  Call EnsureWebView2

  WriteRegStr HKLM "${REGKEY}" "InstallDir" "$INSTDIR"
  WriteRegStr HKLM "${REGKEY}" "Version" "${VERSION}"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINST_KEY}" "Publisher" "${PRODUCT}"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${EXE}"
  WriteRegStr HKLM "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKLM "${UNINST_KEY}" "EstimatedSize" "$0"
SectionEnd

Function un.onInit
  SetRegView 64
  SetShellVarContext all
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/PURGE" $R1
  ${IfNot} ${Errors}
    StrCpy $Purge "1"
  ${EndIf}
FunctionEnd

Section "Uninstall"
  SetRegView 64
  SetShellVarContext all
  Delete "$INSTDIR\${EXE}"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${PRODUCT}.lnk"
  Delete "$DESKTOP\${PRODUCT}.lnk"
  Delete "$SMPROGRAMS\${PRODUCT} Pano.lnk"
  DeleteRegKey HKLM "${UNINST_KEY}"

  ${If} $Purge != "1"
    IfSilent keep
    MessageBox MB_YESNO|MB_ICONQUESTION|MB_DEFBUTTON2 "$(AskPurge)" IDNO keep
    StrCpy $Purge "1"
  ${EndIf}
  ${If} $Purge == "1"
    ; The machine's configuration …
    Delete "$APPDATA\${PRODUCT}\config.json"
    RMDir "$APPDATA\${PRODUCT}"
    DeleteRegKey HKLM "${REGKEY}"
    ; … and the data of the user who uninstalls: settings, cache, WebView2's profile, the
    ; login item go-autostart made. (Other users' profiles are theirs to clear.)
    SetShellVarContext current
    RMDir /r "$APPDATA\${PRODUCT}"
    RMDir /r "$APPDATA\${EXE}"
    RMDir /r "$LOCALAPPDATA\${EXE}"
    Delete "$SMSTARTUP\santral.lnk"
    DeleteRegKey HKCU "Software\Classes\AppUserModelId\${PRODUCT}"
    DeleteRegKey HKCU "Software\Classes\CLSID\${TOAST_GUID}"
  ${EndIf}
  keep:
SectionEnd
