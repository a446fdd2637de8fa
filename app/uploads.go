package app

// Files the agent sends in a reply. The UI hands a file over in chunks (UploadBegin, then
// UploadChunk in order, then UploadFinish): each chunk goes to a temporary file in the
// profile folder, and the finished file is streamed from there to the server. No file is ever
// held whole in memory, on either side of the bridge. Uploads need the connection: files are
// not queued offline (the reply that carries them is).

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"time"

	"santral/backend/wire"
)

// MaxAttachment is the largest file the app hands to the server: santrald's own upload limit
// (the API refuses larger ones with body_too_large), checked here so a file too large is not
// streamed only to be refused.
const MaxAttachment = 100 << 20

// MaxChunk bounds one UploadChunk (base64 text); the UI sends 1 MiB of file per chunk.
const MaxChunk = 8 << 20

// upload is a file being handed over by the UI.
type upload struct {
	mu      gosync.Mutex // chunks are written one at a time
	conv    int64
	name    string
	mime    string
	size    int64
	file    *os.File
	written int64
}

func (a *App) uploadDir() string { return filepath.Join(a.cfg.Dir, "uploads") }

func tooLarge() error {
	return &wire.Error{Code: wire.CodeBodyTooLarge, Field: "file", Message: "a file may be at most 100 MB"}
}

// UploadBegin starts handing over a file of size bytes for a conversation the user holds; it
// returns the upload's id for UploadChunk and UploadFinish.
func (a *App) UploadBegin(conversationID int64, name, mime string, size int64) (string, error) {
	if _, _, err := a.cached(); err != nil {
		return "", uiError(err)
	}
	if size > MaxAttachment {
		return "", uiError(tooLarge())
	}
	if size <= 0 {
		return "", uiError(wire.Invalid("file", "the file is empty"))
	}
	name = strings.TrimSpace(filepath.Base(strings.ReplaceAll(name, "\\", "/")))
	if name == "" || name == "." || name == "/" {
		name = "file"
	}
	if err := os.MkdirAll(a.uploadDir(), 0o700); err != nil {
		return "", uiError(err)
	}
	f, err := os.CreateTemp(a.uploadDir(), "upload-*")
	if err != nil {
		return "", uiError(err)
	}
	id := newKey()
	a.mu.Lock()
	a.uploads[id] = &upload{conv: conversationID, name: name, mime: mime, size: size, file: f}
	a.mu.Unlock()
	return id, nil
}

// UploadChunk appends the next chunk (base64) of an upload; offset is where it starts in the
// file, so a chunk sent twice or out of order is refused rather than written twice.
func (a *App) UploadChunk(id string, offset int64, dataBase64 string) error {
	if len(dataBase64) > MaxChunk {
		return uiError(wire.Invalid("file", "a chunk may be at most %d bytes", MaxChunk))
	}
	a.mu.Lock()
	u := a.uploads[id]
	a.mu.Unlock()
	if u == nil {
		return uiError(wire.Errorf(wire.CodeNotFound, "no such upload"))
	}
	data, err := base64.StdEncoding.DecodeString(dataBase64)
	if err != nil {
		return uiError(wire.Invalid("file", "the file could not be read"))
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if offset != u.written {
		return uiError(wire.Invalid("offset", "expected the chunk at %d, got %d", u.written, offset))
	}
	if u.written+int64(len(data)) > u.size {
		return uiError(wire.Invalid("file", "the file is larger than announced"))
	}
	if _, err := u.file.Write(data); err != nil {
		return uiError(err)
	}
	u.written += int64(len(data))
	return nil
}

// UploadFinish streams the handed-over file to the server and returns the stored attachment
// to send with SendWithAttachments.
func (a *App) UploadFinish(id string) (wire.Attachment, error) {
	a.mu.Lock()
	u := a.uploads[id]
	delete(a.uploads, id)
	a.mu.Unlock()
	if u == nil {
		return wire.Attachment{}, uiError(wire.Errorf(wire.CodeNotFound, "no such upload"))
	}
	u.mu.Lock() // a chunk still being written finishes first
	defer u.mu.Unlock()
	defer os.Remove(u.file.Name())
	defer u.file.Close()
	if u.written != u.size {
		return wire.Attachment{}, uiError(wire.Invalid("file", "the file was not handed over completely"))
	}
	cl, _, _, err := a.session()
	if err != nil {
		return wire.Attachment{}, uiError(err)
	}
	if _, err := u.file.Seek(0, 0); err != nil {
		return wire.Attachment{}, uiError(err)
	}
	cx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var at wire.Attachment
	err = cl.Upload(cx, fmt.Sprintf("/api/v1/conversations/%d/attachments", u.conv), "file", u.name, u.mime, u.file, &at)
	return at, uiError(err)
}

// UploadCancel drops an upload the agent removed before it finished.
func (a *App) UploadCancel(id string) error {
	a.mu.Lock()
	u := a.uploads[id]
	delete(a.uploads, id)
	a.mu.Unlock()
	if u != nil {
		u.file.Close()
		os.Remove(u.file.Name())
	}
	return nil
}

// dropUploads forgets every upload in progress (signing out, shutting down).
func (a *App) dropUploads() {
	a.mu.Lock()
	list := a.uploads
	a.uploads = map[string]*upload{}
	a.mu.Unlock()
	for _, u := range list {
		u.file.Close()
		os.Remove(u.file.Name())
	}
}
