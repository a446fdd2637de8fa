package api

import (
	"bufio"
	"errors"
	"net/http"
	"strings"
	"time"

	"santral/backend/media"
	"santral/backend/store"
	"santral/backend/wire"
)

// maxUpload is the largest file an agent can send (WhatsApp documents: 100 MB); each channel's
// own limits are checked when the message is sent.
const maxUpload = 100 << 20

// uploadAttachment stores a file the holder will send: POST …/attachments, multipart field
// "file". The answer is the attachment to put in the reply; only this agent can send it, only in
// this conversation, and it is removed if not sent within the upload retention.
func (a *API) uploadAttachment(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := a.routing.CheckSendable(r.Context(), u.ID, id); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return wire.Invalid("file", "send the file as multipart/form-data in the field \"file\"")
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			var maxErr *http.MaxBytesError
			if errors.As(err, &maxErr) {
				return wire.Errorf(wire.CodeBodyTooLarge, "a file can be at most %d MB", maxUpload>>20)
			}
			return wire.Invalid("file", "no \"file\" field in the upload")
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		body := bufio.NewReaderSize(part, 512)
		head, _ := body.Peek(512)
		mime := part.Header.Get("Content-Type")
		if mime == "" || mime == "application/octet-stream" {
			mime = http.DetectContentType(head)
		}
		mime, _, _ = strings.Cut(mime, ";")
		kind := attachmentKind(mime)
		if kind == "" {
			return wire.Invalid("file", "files of type %s cannot be sent", mime)
		}
		key, size, err := a.opt.Files.Put(r.Context(), body, maxUpload)
		if errors.Is(err, media.ErrTooLarge) {
			return wire.Errorf(wire.CodeBodyTooLarge, "a file can be at most %d MB", maxUpload>>20)
		}
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return wire.Errorf(wire.CodeBodyTooLarge, "a file can be at most %d MB", maxUpload>>20)
		}
		if err != nil {
			return err
		}
		name := part.FileName()
		if len([]rune(name)) > 200 {
			name = string([]rune(name)[:200])
		}
		att := wire.Attachment{Kind: kind, Name: name, MimeType: mime, Size: size, URL: "/api/v1/media/" + key}
		if _, err := a.store.Tx(r.Context(), func(tx *store.Tx) error { return tx.RecordUpload(key, id, u.ID, att) }); err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, att)
	}
}

// attachmentKind maps a MIME type to the kinds channels know; "" is not sendable.
func attachmentKind(mime string) string {
	switch {
	case mime == "image/jpeg", mime == "image/png", mime == "image/webp", mime == "image/gif":
		return "image"
	case strings.HasPrefix(mime, "video/"):
		return "video"
	case strings.HasPrefix(mime, "audio/"):
		return "audio"
	}
	switch mime {
	case "application/pdf", "text/plain", "text/csv", "application/zip",
		"application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"application/vnd.ms-powerpoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation":
		return "document"
	}
	return ""
}

// serveFile answers with a stored file, never rendered as a page of ours: a download, whatever
// its content. Its length is known, and byte ranges are served (a video scrubbed, a download
// resumed) from the media store as it is — a folder or S3.
func (a *API) serveFile(w http.ResponseWriter, r *http.Request, key, disposition string) error {
	f, err := a.opt.Files.Open(r.Context(), key)
	if errors.Is(err, media.ErrNotFound) {
		return wire.Errorf(wire.CodeNotFound, "file not found")
	}
	if err != nil {
		return err // media_unavailable when the store is away
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", disposition)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, max-age=86400")
	http.ServeContent(w, r, "", time.Time{}, f)
	return nil
}
