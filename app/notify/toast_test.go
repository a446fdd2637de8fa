package notify

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"strings"
	"testing"

	"git.sr.ht/~jackmordaunt/go-toast/tmpl"
)

// The toast Windows is given (go-toast's own XML template): the title and body escaped, a click
// activating the app with the conversation's id, the sound by the setting.
func TestToastOfANotification(t *testing.T) {
	for _, c := range []struct {
		n     Notification
		audio string
	}{
		{Notification{Title: "Elif Şahin size atandı", Body: "Siparişim <nerede> & ne zaman?", ConversationID: 42, Sound: true}, `src="ms-winsoundevent:Notification.IM"`},
		{Notification{Title: "Mesaj", Body: "bir ]]> iki", ConversationID: 7}, `silent="true"`},
	} {
		tn := toastFor("Santral", `C:\Program Files\Santral\santral.exe`, c.n)
		var out bytes.Buffer
		if err := tmpl.XMLTemplate.Execute(&out, tn); err != nil {
			t.Fatal(err)
		}
		s := out.String()
		for _, want := range []string{`activationType="foreground"`, `launch="` + toastArgs(c.n.ConversationID) + `"`, c.audio} {
			if !strings.Contains(s, want) {
				t.Errorf("the toast lacks %s:\n%s", want, s)
			}
		}
		// Well-formed XML whose texts are the notification's, whatever the customer wrote.
		var texts []string
		d := xml.NewDecoder(strings.NewReader(s))
		inText := false
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("not well-formed XML: %v\n%s", err, s)
			}
			switch v := tok.(type) {
			case xml.StartElement:
				inText = v.Name.Local == "text"
			case xml.CharData:
				if inText {
					texts = append(texts, string(v))
				}
			case xml.EndElement:
				inText = false
			}
		}
		if len(texts) != 2 || texts[0] != c.n.Title || texts[1] != strings.ReplaceAll(c.n.Body, "]]>", "]] >") {
			t.Errorf("texts %q, want %q and %q", texts, c.n.Title, c.n.Body)
		}
		if id, ok := conversationFromArgs(toastArgs(c.n.ConversationID)); !ok || id != c.n.ConversationID {
			t.Errorf("the click opens %d %v, want %d", id, ok, c.n.ConversationID)
		}
	}
	for _, bad := range []string{"", "conversation=", "conversation=abc", "open=3", "conversation=-1"} {
		if _, ok := conversationFromArgs(bad); ok {
			t.Errorf("%q opened a conversation", bad)
		}
	}
}

// The uninstaller removes the toast registration by the same class id (build/windows).
func TestToastClassIDMatchesTheInstaller(t *testing.T) {
	nsi, err := os.ReadFile("../../build/windows/installer/santral.nsi")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(nsi), `!define TOAST_GUID "`+toastGUID+`"`) {
		t.Fatalf("santral.nsi's TOAST_GUID is not %s", toastGUID)
	}
}
