package build

// build/cluster.sh (`make cluster`) with the santrald make builds, and no load balancer: each
// client talks to a node of its own. An agent whose app is connected to node 1 sees a customer's
// message that arrived at node 3; pulls on the three nodes at once each take a different
// conversation, every queued one is taken exactly once, and the first pull — on node 2 — takes
// the head of the queue. Set CLUSTER_DB / CLUSTER_NATS to run the same against PostgreSQL and
// NATS.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"santral/backend/wire"
)

const clusterAdminPassword = "cluster-admin-pass-1"

// node is one santrald of the cluster, as a client reaches it.
type node struct {
	t       *testing.T
	url     string
	metrics string
	token   string
	user    wire.User
}

func (n *node) call(method, path string, body, out any) (int, wire.Code) {
	n.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, n.url+path, rd)
	if err != nil {
		n.t.Fatal(err)
	}
	if n.token != "" {
		req.Header.Set("Authorization", "Bearer "+n.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		var eb wire.ErrorBody
		json.Unmarshal(raw, &eb)
		return res.StatusCode, eb.Error.Code
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			n.t.Fatalf("%s %s: %v (%s)", method, path, err, raw)
		}
	}
	return res.StatusCode, ""
}

func (n *node) must(method, path string, body, out any, want int) {
	n.t.Helper()
	if status, code := n.call(method, path, body, out); status != want {
		n.t.Fatalf("%s %s%s: %d %s, want %d", method, n.url, path, status, code, want)
	}
}

// as logs username in on this node.
func (n *node) as(username, password string) *node {
	n.t.Helper()
	c := &node{t: n.t, url: n.url, metrics: n.metrics}
	var res wire.LoginResponse
	c.must("POST", "/api/v1/auth/login", wire.LoginRequest{Username: username, Password: password}, &res, http.StatusOK)
	c.token, c.user = res.Token, res.User
	return c
}

func (n *node) customer(sender, messageID, text string) {
	n.t.Helper()
	(&node{t: n.t, url: n.url}).must("POST", "/sandbox/messages", wire.SandboxInbound{SenderID: sender, Name: "Müşteri", MessageID: messageID, Text: text}, nil, http.StatusOK)
}

func TestClusterOfThreeNodesWithoutALoadBalancer(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("make", "-C", root, "-s", "santrald").CombinedOutput(); err != nil {
		t.Fatalf("make santrald: %v\n%s", err, out)
	}
	var ports, mports []string
	for range 3 {
		ports = append(ports, strings.TrimPrefix(freeAddr(t), "127.0.0.1:"))
		mports = append(mports, strings.TrimPrefix(freeAddr(t), "127.0.0.1:"))
	}
	data := t.TempDir()
	cmd := exec.Command(filepath.Join(root, "build", "cluster.sh"))
	cmd.Dir = root
	cmd.Env = append(hermetic(), "CLUSTER_DATA="+data, "CLUSTER_PORTS="+strings.Join(ports, " "),
		"CLUSTER_METRICS_PORTS="+strings.Join(mports, " "), "CLUSTER_DEMO=0", "CLUSTER_ADMIN_PASSWORD="+clusterAdminPassword)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	var output bytes.Buffer
	var outMu sync.Mutex
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			outMu.Lock()
			output.WriteString(sc.Text() + "\n")
			outMu.Unlock()
			lines <- sc.Text()
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(30 * time.Second):
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			}
		}
		if t.Failed() {
			outMu.Lock()
			t.Logf("cluster.sh said:\n%s", output.String())
			outMu.Unlock()
			for i := 1; i <= 3; i++ {
				if b, err := exec.Command("tail", "-n", "20", filepath.Join(data, fmt.Sprintf("node%d.log", i))).Output(); err == nil {
					t.Logf("node%d.log:\n%s", i, b)
				}
			}
		}
	})

	// The script announces each node, then that the cluster is ready.
	announced := regexp.MustCompile(`node(\d): (http://\S+)\s+metrics: (http://\S+)`)
	nodes := map[string]*node{}
	deadline := time.After(90 * time.Second)
wait:
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("cluster.sh stopped before the cluster was ready")
			}
			if m := announced.FindStringSubmatch(line); m != nil {
				nodes[m[1]] = &node{t: t, url: m[2], metrics: m[3]}
			}
			if strings.Contains(line, "cluster ready") {
				break wait
			}
		case <-deadline:
			t.Fatal("the cluster was not ready within 90s")
		}
	}
	n1, n2, n3 := nodes["1"], nodes["2"], nodes["3"]
	if n1 == nil || n2 == nil || n3 == nil {
		t.Fatalf("cluster.sh did not announce three nodes: %v", nodes)
	}
	for name, n := range nodes {
		if !strings.HasSuffix(n.url, ports[name[0]-'1']) {
			t.Fatalf("node%s on %s, want port %s", name, n.url, ports[name[0]-'1'])
		}
		if res, err := http.Get(n.url + "/readyz"); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("node%s is not ready: %v", name, err)
		} else {
			res.Body.Close()
		}
		if b := get(t, n.metrics); !strings.Contains(b, `santral_node_info{node="node`+name+`"} 1`) {
			t.Fatalf("node%s's metrics do not name it node%s", name, name)
		}
	}

	admin := n1.as("admin", clusterAdminPassword)
	agents := map[string]*node{}
	for _, a := range []struct{ name string }{{"ayse"}, {"mehmet"}, {"zeynep"}} {
		username, display, pw, role := a.name, strings.ToUpper(a.name[:1])+a.name[1:], "password-"+a.name, wire.RoleAgent
		admin.must("POST", "/api/v1/users", wire.UserRequest{Username: &username, DisplayName: &display, Password: &pw, Role: &role}, nil, http.StatusCreated)
	}
	// Each agent's app is connected to a node of its own.
	agents["ayse"] = n1.as("ayse", "password-ayse")
	agents["mehmet"] = n2.as("mehmet", "password-mehmet")
	agents["zeynep"] = n3.as("zeynep", "password-zeynep")

	// Ayşe, online on node 1 with her app's stream open there, sees a customer's message that
	// reached node 3.
	ayse := agents["ayse"]
	ayse.must("PUT", "/api/v1/me/presence", wire.PresenceRequest{Presence: wire.Online}, nil, http.StatusOK)
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(n1.url, "http")+"/api/v1/stream",
		http.Header{"Authorization": {"Bearer " + ayse.token}})
	if err != nil {
		t.Fatalf("stream on node 1: %v", err)
	}
	defer ws.Close()
	n3.customer("905320000001", "c1-m1", "Node 3'e yazdım")
	ws.SetReadDeadline(time.Now().Add(15 * time.Second))
	seen := false
	for !seen {
		var f wire.StreamFrame
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatalf("node 1's stream never carried the message that reached node 3: %v", err)
		}
		for _, e := range f.Events {
			var d wire.MessageData
			if e.Type == wire.EventMessageCreated && json.Unmarshal(e.Data, &d) == nil && d.Message.Body == "Node 3'e yazdım" {
				seen = true
			}
		}
	}

	// Automatic assignment off (said on node 2): customers queue on node 3, in order.
	var set wire.Settings
	admin2 := n2.as("admin", clusterAdminPassword)
	admin2.must("GET", "/api/v1/settings", nil, &set, http.StatusOK)
	set.AutoAssign = false
	admin2.must("PUT", "/api/v1/settings", set, nil, http.StatusOK)
	const queued = 9
	for i := range queued {
		n3.customer(fmt.Sprintf("90532000010%d", i), fmt.Sprintf("q-%d", i), fmt.Sprintf("Sıradaki %d", i))
	}
	var queue wire.ConversationPage
	admin.must("GET", "/api/v1/conversations?view=queue", nil, &queue, http.StatusOK)
	if len(queue.Conversations) != queued {
		t.Fatalf("node 1 lists %d queued conversations, want %d", len(queue.Conversations), queued)
	}
	want := map[int64]bool{}
	for _, c := range queue.Conversations {
		want[c.ID] = true
	}
	for _, a := range agents {
		a.must("PUT", "/api/v1/me/presence", wire.PresenceRequest{Presence: wire.Online}, nil, http.StatusOK)
	}
	// The first pull, on node 2, takes the head of the queue.
	var first wire.Conversation
	agents["mehmet"].must("POST", "/api/v1/queue/pull", nil, &first, http.StatusOK)
	if first.ID != queue.Conversations[0].ID || first.Contact.ExternalID != "905320000100" {
		t.Fatalf("node 2's pull took conversation %d (%s), want the head of the queue %d", first.ID, first.Contact.ExternalID, queue.Conversations[0].ID)
	}
	// Then the three pull at once, each on its own node, until the queue is empty.
	var mu sync.Mutex
	taken := map[int64][]string{first.ID: {"mehmet"}}
	var wg sync.WaitGroup
	for name, a := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				var c wire.Conversation
				status, code := a.call("POST", "/api/v1/queue/pull", nil, &c)
				if code == wire.CodeQueueEmpty {
					return
				}
				if status != http.StatusOK {
					t.Errorf("%s's pull: %d %s", name, status, code)
					return
				}
				mu.Lock()
				taken[c.ID] = append(taken[c.ID], name)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for id, by := range taken {
		if len(by) != 1 {
			t.Errorf("conversation %d was pulled by %v: more than once", id, by)
		}
		if !want[id] {
			t.Errorf("conversation %d was pulled but was never queued", id)
		}
	}
	if len(taken) != queued {
		t.Errorf("%d of the %d queued conversations were pulled", len(taken), queued)
	}

	// SIGTERM stops the three nodes and the script.
	stopped = true
	syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Fatal("cluster.sh did not stop within 30s of SIGTERM")
	}
	for name, n := range nodes {
		if res, err := http.Get(n.url + "/healthz"); err == nil {
			res.Body.Close()
			t.Errorf("node%s still answers after the cluster stopped", name)
		}
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}
