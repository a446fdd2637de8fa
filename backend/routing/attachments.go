package routing

import (
	"fmt"
	"strings"

	"santral/backend/store"
	"santral/backend/wire"
)

// ownUploads is the rule for an agent's files: a reply carries only files that agent uploaded
// for that conversation (seen otherwise: one agent attached another agent's upload key and the
// customer received the other agent's file). Each comes back as the server measured it at
// upload, whatever the request claimed, and is marked sent so the removal of unsent uploads
// leaves it. A location carries no file and passes as given.
func ownUploads(tx *store.Tx, agentID, convID int64, attachments []wire.Attachment) ([]wire.Attachment, error) {
	out := make([]wire.Attachment, 0, len(attachments))
	for i, a := range attachments {
		if a.Kind == "location" {
			out = append(out, wire.Attachment{Kind: a.Kind, Name: a.Name, Latitude: a.Latitude, Longitude: a.Longitude})
			continue
		}
		key, ok := strings.CutPrefix(a.URL, "/api/v1/media/")
		stored := wire.Attachment{}
		if ok && key != "" {
			var err error
			if stored, ok, err = tx.UseUpload(key, convID, agentID); err != nil {
				return nil, err
			}
		}
		if !ok {
			return nil, &wire.Error{Code: wire.CodeAttachmentNotUploaded, Field: "attachments",
				Message: fmt.Sprintf("attachment %d is not a file you uploaded in this conversation: upload it here first", i+1)}
		}
		if stored.Kind == "" { // uploaded before Santral kept what it measured
			stored.Kind, stored.Name, stored.MimeType, stored.Size = a.Kind, a.Name, a.MimeType, a.Size
		}
		out = append(out, stored)
	}
	return out, nil
}
