package app

// The media cache: attachments the server stores, fetched once into the profile's media folder
// (streamed to disk) and handed to the UI as data: URLs for previews.

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"

	"santral/app/client"
	"santral/backend/wire"
)

const mediaPrefix = "/api/v1/media/"

// maxPreview bounds a file fetched for a preview.
const maxPreview = 64 << 20

// MediaURL fetches a stored media file (a server path /api/v1/media/<key>) once into the
// profile's media folder and returns it as a data: URL of the given MIME type for previews.
func (a *App) MediaURL(path, mime string) (string, error) {
	key, ok := strings.CutPrefix(path, mediaPrefix)
	if !ok || key == "" || strings.ContainsAny(key, "/\\?#%") || key == "." || key == ".." {
		return "", uiError(wire.Invalid("path", "not a media path"))
	}
	if mime == "" || strings.ContainsAny(mime, ",;\r\n ") {
		mime = "application/octet-stream"
	}
	file := filepath.Join(a.cfg.Dir, "media", key)
	if _, err := os.Stat(file); err != nil {
		cl, _, _, err := a.session()
		if err != nil {
			return "", uiError(err)
		}
		if err := download(cl, path, file); err != nil {
			return "", uiError(err)
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", uiError(err)
	}
	return "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(b), nil
}

// download streams a media file into file (through a temporary file, so a broken download
// never leaves a partial file under the key).
func download(cl *client.Client, path, file string) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(file), filepath.Base(file)+".*.part")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	cx, cancel := ctx()
	defer cancel()
	err = cl.Download(cx, path, f, maxPreview)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(f.Name(), file)
}
