// Command gen writes kpy's differential test data: random kubeconfig cases resolved by client-go's clientcmd
// exactly as kubectl resolves them, and event-correlator scripts run through client-go's EventCorrelator with a
// fake clock. See README.md next to this file for how to rerun it. Deterministic for a given -seed.
package main

import (
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	_ "k8s.io/client-go/plugin/pkg/client/auth"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/transport"
	testclock "k8s.io/utils/clock/testing"
	"sigs.k8s.io/yaml"
)

// fixtures copied into every case directory (and into k1/), by name
var fixtureNames = []string{"ca1.crt", "ca2.crt", "client1.crt", "client1.key", "client2.crt", "client2.key", "token1", "token2"}

type file struct {
	Path string `json:"path"`
	Text string `json:"text"`
}

type kcase struct {
	Files []file            `json:"files"`
	Env   map[string]string `json:"env"`
	Flags map[string]any    `json:"flags"`
	Want  map[string]any    `json:"want"`
}

var (
	seed      = flag.Int64("seed", 1, "random seed")
	nKube     = flag.Int("kubeconfig-cases", 1000, "number of kubeconfig cases")
	nCorr     = flag.Int("correlator-scripts", 320, "number of correlator scripts")
	fixtures  = flag.String("fixtures", "", "directory holding the fixture files")
	outDir    = flag.String("out", ".", "where to write kubeconfig.json and correlator.json")
	fixtureOf = map[string]string{} // content -> fixture name
	fixData   = map[string][]byte{}
)

func main() {
	flag.Parse()
	for _, p := range []*string{fixtures, outDir} {
		abs, err := filepath.Abs(*p)
		must(err)
		*p = abs
	}
	for _, n := range fixtureNames {
		b, err := os.ReadFile(filepath.Join(*fixtures, n))
		if err != nil {
			panic(err)
		}
		fixData[n] = b
		fixtureOf[string(b)] = n
	}
	r := rand.New(rand.NewSource(*seed))
	kube := genKubeconfig(r)
	corr := genCorrelator(r)
	write("kubeconfig.json", map[string]any{"seed": *seed, "fixtures": fixtureNames, "cases": kube})
	write("correlator.json", map[string]any{"seed": *seed, "scripts": corr})
}

func write(name string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(filepath.Join(*outDir, name), append(b, '\n'), 0o644); err != nil {
		panic(err)
	}
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.Intn(len(xs))] }
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// ---------------------------------------------------------------------------------------------- kubeconfig

func jwt(exp int64) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." + enc.EncodeToString([]byte(fmt.Sprintf(`{"exp":%d}`, exp))) + ".sig"
}

func genCluster(r *rand.Rand, i int) map[string]any {
	c := map[string]any{}
	if chance(r, 0.85) {
		c["server"] = pick(r, "https://a.example:6443", "https://10.0.0.1", "http://b.example:8080",
			"c.example:6443", "https://d.example/k8s", "https://e.example:6443/")
	}
	if chance(r, 0.3) {
		c["certificate-authority"] = pick(r, "ca1.crt", "../ca2.crt", "k1/ca1.crt", "missing-ca.crt", "$ROOT/ca2.crt")
	}
	if chance(r, 0.25) {
		c["certificate-authority-data"] = "$B64:" + pick(r, "ca1.crt", "ca2.crt")
	}
	if chance(r, 0.2) {
		c["insecure-skip-tls-verify"] = true
	}
	if chance(r, 0.2) {
		c["tls-server-name"] = pick(r, "sni.example", "kubernetes")
	}
	if chance(r, 0.15) {
		c["proxy-url"] = pick(r, "http://proxy.example:3128", "socks5://127.0.0.1:1080", "https://p.example", "ftp://bad.example")
	}
	return c
}

func genUser(r *rand.Rand, i int) map[string]any {
	u := map[string]any{}
	if chance(r, 0.3) {
		u["token"] = pick(r, "tok-a", "tok-b")
	}
	if chance(r, 0.15) {
		u["tokenFile"] = pick(r, "token1", "k1/token2", "$ROOT/token2", "missing-token")
	}
	if chance(r, 0.15) {
		u["username"] = pick(r, "admin", "")
		u["password"] = pick(r, "secret", "")
	}
	if chance(r, 0.3) {
		if chance(r, 0.7) {
			u["client-certificate"] = pick(r, "client1.crt", "k1/client2.crt", "missing.crt", "$ROOT/client2.crt")
		}
		if chance(r, 0.3) {
			u["client-certificate-data"] = "$B64:client1.crt"
		}
		if chance(r, 0.7) {
			u["client-key"] = pick(r, "client1.key", "k1/client2.key", "missing.key")
		}
		if chance(r, 0.3) {
			u["client-key-data"] = "$B64:client1.key"
		}
	} else if chance(r, 0.05) {
		u["client-key"] = "client1.key"
	}
	if chance(r, 0.15) {
		e := map[string]any{}
		if chance(r, 0.9) {
			e["command"] = pick(r, "kubectl-login", "./bin/login", "$ROOT/bin/login", "")
		}
		if chance(r, 0.9) {
			e["apiVersion"] = pick(r, "client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")
		}
		if chance(r, 0.5) {
			e["args"] = pick(r, []string{"get-token"}, []string{"--a", "b"})
		}
		if chance(r, 0.3) {
			e["env"] = pick(r, []map[string]string{{"name": "A", "value": "1"}}, []map[string]string{{"name": "", "value": "x"}})
		}
		if chance(r, 0.7) {
			e["interactiveMode"] = pick(r, "Never", "IfAvailable", "Always", "Sometimes")
		}
		if chance(r, 0.2) {
			e["provideClusterInfo"] = true
		}
		if chance(r, 0.2) {
			e["installHint"] = "install it"
		}
		u["exec"] = e
	}
	if chance(r, 0.25) {
		name := pick(r, "oidc", "oidc", "oidc", "gcp", "azure", "nosuch")
		cfg := map[string]string{}
		if name == "oidc" {
			if chance(r, 0.9) {
				cfg["idp-issuer-url"] = fmt.Sprintf("https://issuer-%d.example", i)
			}
			if chance(r, 0.9) {
				cfg["client-id"] = "kpy"
			}
			switch r.Intn(4) {
			case 0:
				cfg["id-token"] = jwt(4102444800) // 2100
				if chance(r, 0.5) {
					cfg["refresh-token"] = "rt"
				}
			case 1:
				cfg["id-token"] = jwt(1000) // expired, no refresh token
			case 2:
				cfg["id-token"] = "not-a-jwt"
			}
		}
		u["auth-provider"] = map[string]any{"name": name, "config": cfg}
	}
	if chance(r, 0.1) {
		u["as"] = "imp-user"
	}
	if chance(r, 0.06) {
		u["as-groups"] = []string{"ga", "gb"}
	}
	_, as := u["as"]
	if chance(r, 0.06) || (as && chance(r, 0.4)) {
		u["as-uid"] = "imp-uid"
	}
	if chance(r, 0.06) || (as && chance(r, 0.4)) {
		// a key with characters that must be escaped in a header name
		u["as-user-extra"] = map[string][]string{"scopes": {"s1", "s2"}, "team/x y%": {"t"}}
	}
	return u
}

var (
	clusterNames = []string{"c1", "c2", "c3"}
	userNames    = []string{"u1", "u2", "u3"}
	contextNames = []string{"x1", "x2", "x3"}
)

func genFile(r *rand.Rand, i int) map[string]any {
	doc := map[string]any{"apiVersion": "v1", "kind": "Config"}
	var clusters, users, contexts []any
	for _, n := range clusterNames {
		if chance(r, 0.7) {
			clusters = append(clusters, map[string]any{"name": n, "cluster": genCluster(r, i)})
		}
	}
	for _, n := range userNames {
		if chance(r, 0.7) {
			users = append(users, map[string]any{"name": n, "user": genUser(r, i)})
		}
	}
	for _, n := range contextNames {
		if chance(r, 0.7) {
			ctx := map[string]any{}
			if chance(r, 0.9) {
				ctx["cluster"] = pick(r, "c1", "c2", "c3", "c1", "c2", "c3", "c9")
			}
			if chance(r, 0.85) {
				ctx["user"] = pick(r, "u1", "u2", "u3", "u1", "u2", "u3", "u9")
			}
			if chance(r, 0.5) {
				ctx["namespace"] = pick(r, "ns-a", "ns-b")
			}
			contexts = append(contexts, map[string]any{"name": n, "context": ctx})
		}
	}
	doc["clusters"], doc["users"], doc["contexts"] = clusters, users, contexts
	if chance(r, 0.6) {
		doc["current-context"] = pick(r, "x1", "x2", "x3", "x1", "x2", "x3", "x9")
	}
	return doc
}

func genKubeconfig(r *rand.Rand) []kcase {
	root, err := os.MkdirTemp("", "kpy-gen-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(root)
	paths := []string{"k1/config", "k2/config.yaml", "k3/sub/kc"}
	var cases []kcase
	for i := 0; i < *nKube; i++ {
		c := kcase{Env: map[string]string{}, Flags: map[string]any{}}
		n := 1 + r.Intn(3)
		for j := 0; j < n; j++ {
			b, err := yaml.Marshal(genFile(r, i))
			if err != nil {
				panic(err)
			}
			c.Files = append(c.Files, file{Path: paths[j], Text: string(b)})
		}
		var kc []string
		switch mode := r.Intn(10); {
		case mode < 6:
			for _, f := range c.Files {
				kc = append(kc, f.Path)
			}
			if chance(r, 0.2) {
				kc = append(kc, "k9/missing")
			}
			if chance(r, 0.15) && len(kc) > 1 {
				kc = append(kc, kc[0])
			}
			if chance(r, 0.15) {
				kc = append([]string{""}, kc...)
			}
			if chance(r, 0.3) {
				r.Shuffle(len(kc), func(a, b int) { kc[a], kc[b] = kc[b], kc[a] })
			}
			c.Env["KUBECONFIG"] = strings.Join(kc, ":")
		case mode < 8:
			c.Flags["kubeconfig"] = pick(r, c.Files[0].Path, c.Files[0].Path, c.Files[0].Path, c.Files[0].Path, "k9/missing")
			c.Env["KUBECONFIG"] = c.Files[len(c.Files)-1].Path
		default: // no KUBECONFIG: ~/.kube/config (HOME is the case root)
			c.Files[0].Path = ".kube/config"
		}
		if chance(r, 0.3) {
			c.Flags["context"] = pick(r, "x1", "x2", "x3", "x1", "x2", "x3", "x9")
		}
		if chance(r, 0.15) {
			c.Flags["cluster"] = pick(r, "c1", "c2", "c3", "c1", "c9")
		}
		if chance(r, 0.15) {
			c.Flags["user"] = pick(r, "u1", "u2", "u3", "u1", "u9")
		}
		if chance(r, 0.2) {
			c.Flags["namespace"] = "flag-ns"
		}
		if chance(r, 0.15) {
			c.Flags["server"] = pick(r, "https://flag.example:443", "http://flag.example")
		}
		if chance(r, 0.12) {
			c.Flags["token"] = "flag-token"
		}
		if chance(r, 0.1) {
			c.Flags["insecure-skip-tls-verify"] = true
		}
		if chance(r, 0.1) {
			c.Flags["tls-server-name"] = "flag-sni"
		}
		if chance(r, 0.1) {
			c.Flags["certificate-authority"] = pick(r, "ca2.crt", "missing-flag-ca.crt")
		}
		if chance(r, 0.08) {
			c.Flags["client-certificate"] = pick(r, "client2.crt", "missing-flag.crt")
		}
		if chance(r, 0.1) {
			c.Flags["client-key"] = pick(r, "client2.key", "missing-flag.key")
		}
		if chance(r, 0.1) {
			c.Flags["as"] = "flag-user"
		}
		if chance(r, 0.05) {
			c.Flags["as-group"] = []string{"fg1", "fg2"}
		}
		if chance(r, 0.05) {
			c.Flags["as-uid"] = "flag-uid"
		}
		dir := filepath.Join(root, fmt.Sprintf("case%04d", i))
		c.Want = runCase(dir, c)
		cases = append(cases, c)
	}
	return cases
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func runCase(dir string, c kcase) map[string]any {
	must(os.MkdirAll(filepath.Join(dir, "k1"), 0o755))
	for _, n := range fixtureNames {
		must(os.WriteFile(filepath.Join(dir, n), fixData[n], 0o600))
		must(os.WriteFile(filepath.Join(dir, "k1", n), fixData[n], 0o600))
	}
	for _, f := range c.Files {
		p := filepath.Join(dir, f.Path)
		must(os.MkdirAll(filepath.Dir(p), 0o755))
		text := strings.ReplaceAll(f.Text, "$ROOT", dir)
		for _, n := range fixtureNames {
			text = strings.ReplaceAll(text, "$B64:"+n, base64.StdEncoding.EncodeToString(fixData[n]))
		}
		must(os.WriteFile(p, []byte(text), 0o600))
	}
	must(os.Chdir(dir))
	os.Unsetenv("KUBECONFIG")
	for k, v := range c.Env {
		os.Setenv(k, v)
	}
	os.Setenv("HOME", dir)
	// clientcmd computed ~/.kube/config from HOME when the program started: point it at this case's home
	clientcmd.RecommendedHomeFile = filepath.Join(dir, ".kube", "config")
	defer os.Chdir("/")

	f := genericclioptions.NewConfigFlags(true)
	str := func(key string, dst **string) {
		if v, ok := c.Flags[key]; ok {
			s := v.(string)
			*dst = &s
		}
	}
	str("kubeconfig", &f.KubeConfig)
	str("context", &f.Context)
	str("cluster", &f.ClusterName)
	str("user", &f.AuthInfoName)
	str("namespace", &f.Namespace)
	str("server", &f.APIServer)
	str("token", &f.BearerToken)
	str("tls-server-name", &f.TLSServerName)
	str("certificate-authority", &f.CAFile)
	str("client-certificate", &f.CertFile)
	str("client-key", &f.KeyFile)
	str("as", &f.Impersonate)
	str("as-uid", &f.ImpersonateUID)
	if v, ok := c.Flags["insecure-skip-tls-verify"]; ok {
		b := v.(bool)
		f.Insecure = &b
	}
	if v, ok := c.Flags["as-group"]; ok {
		gs := v.([]string)
		f.ImpersonateGroup = &gs
	}
	clean := func(s string) string { return strings.ReplaceAll(s, dir, "$ROOT") }
	// kubectl's commands ask for the namespace first (Complete), then for the REST config
	loader := f.ToRawKubeConfigLoader()
	ns, _, err := loader.Namespace()
	if err != nil {
		return map[string]any{"err": clean(err.Error())}
	}
	rc, err := loader.ClientConfig()
	if err != nil {
		return map[string]any{"err": clean(err.Error())}
	}
	want := map[string]any{"namespace": ns}
	u, _, err := rest.DefaultServerUrlFor(rc)
	if err != nil {
		want["urlerr"] = clean(err.Error())
	} else {
		want["url"] = strings.TrimSuffix(u.String(), "/")
	}
	want["insecure"] = rc.Insecure
	want["sni"] = rc.ServerName
	want["ca"] = label(rc.CAData, rc.CAFile)
	want["cert"] = label(rc.CertData, rc.CertFile)
	want["key"] = label(rc.KeyData, rc.KeyFile)
	if rc.Proxy != nil {
		if pu, err := rc.Proxy(&http.Request{URL: &url.URL{Scheme: "https", Host: "x"}}); err == nil && pu != nil {
			want["proxy"] = pu.String()
		}
	}
	if rc.AuthProvider != nil {
		want["authProvider"] = rc.AuthProvider.Name
	}
	if e := rc.ExecProvider; e != nil {
		env := [][]string{}
		for _, v := range e.Env {
			env = append(env, []string{v.Name, v.Value})
		}
		want["exec"] = map[string]any{
			"command": clean(e.Command), "args": e.Args, "env": env, "apiVersion": e.APIVersion,
			"interactiveMode": string(e.InteractiveMode), "provideClusterInfo": e.ProvideClusterInfo,
			"installHint": e.InstallHint,
		}
	}
	if _, err := rest.TransportFor(rc); err != nil {
		want["terr"] = clean(err.Error())
		return want
	}
	if rc.ExecProvider != nil {
		return want // sending a request would run the plugin
	}
	tc, err := rc.TransportConfig()
	must(err)
	capture := &captureRT{}
	rt, err := transport.HTTPWrappersForConfig(tc, capture)
	if err != nil {
		want["terr"] = clean(err.Error())
		return want
	}
	req, _ := http.NewRequest("GET", "https://x/api", nil)
	if _, err := rt.RoundTrip(req); err != nil {
		want["terr"] = clean(err.Error())
		return want
	}
	headers := map[string][]string{}
	for k, v := range capture.header {
		if k == "Authorization" || strings.HasPrefix(k, "Impersonate-") {
			headers[k] = v
		}
	}
	want["headers"] = headers
	return want
}

type captureRT struct{ header http.Header }

func (c *captureRT) RoundTrip(req *http.Request) (*http.Response, error) {
	c.header = req.Header.Clone()
	return &http.Response{StatusCode: 200, Body: http.NoBody, Request: req}, nil
}

// label names the fixture a TLS setting resolves to ("" = none, "unreadable" = a file that cannot be read).
func label(data []byte, path string) string {
	if len(data) == 0 && path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return "unreadable"
		}
		data = b
	}
	if len(data) == 0 {
		return ""
	}
	if n, ok := fixtureOf[string(data)]; ok {
		return n
	}
	return "other"
}

// ---------------------------------------------------------------------------------------------- correlator

type step struct {
	// exactly one of: Event (correlate it at time T) or Update (UpdateState with step Update's result,
	// as the server stored it: resourceVersion RV)
	T      int64          `json:"t"`
	Event  map[string]any `json:"event,omitempty"`
	Update *int           `json:"update,omitempty"`
	RV     string         `json:"rv,omitempty"`
	Want   map[string]any `json:"want"`
}

type script struct {
	Options map[string]any `json:"options"`
	Start   int64          `json:"start"`
	Stable  int            `json:"stable"` // steps from this index on may differ between client-go runs
	Steps   []step         `json:"steps"`
}

func genCorrelator(r *rand.Rand) []script {
	var out []script
	for i := 0; i < *nCorr; i++ {
		out = append(out, runScript(r, i))
	}
	return out
}

func randEvent(r *rand.Rand, now time.Time, kinds int, probe int) *v1.Event {
	objs := []v1.ObjectReference{
		{Kind: "Pod", Namespace: "default", Name: "web", UID: "uid-web", APIVersion: "v1"},
		{Kind: "Pod", Namespace: "default", Name: "web", UID: "uid-web", APIVersion: "v1", FieldPath: "spec.containers{app}"},
		{Kind: "Node", Name: "node-1", UID: "uid-node"},
		{Kind: "Deployment", Namespace: "kt", Name: "db", APIVersion: "apps/v1"},
	}
	srcs := []v1.EventSource{{Component: "kubelet", Host: "n1"}, {Component: "ctrl"}}
	obj := objs[r.Intn(min(kinds, len(objs)))]
	e := &v1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: fmt.Sprintf("%s.%x", obj.Name, now.UnixNano()), Namespace: obj.Namespace},
		InvolvedObject: obj,
		Source:         srcs[r.Intn(min(kinds, len(srcs)))],
		Type:           pick(r, "Normal", "Warning"),
		Reason:         pick(r, "Started", "Failed", "BackOff"),
		Message:        fmt.Sprintf("message %d", r.Intn(probe)),
		Count:          1,
	}
	if e.Namespace == "" {
		e.Namespace = "default"
	}
	if kinds < 2 {
		e.Reason = "Failed"
	}
	if chance(r, 0.1) {
		e.Count = 0
	}
	if chance(r, 0.85) {
		e.FirstTimestamp = metav1.NewTime(now)
		e.LastTimestamp = metav1.NewTime(now)
	}
	if chance(r, 0.1) {
		e.Message = ""
	}
	if chance(r, 0.1) {
		e.ReportingController = "kpy"
		e.ReportingInstance = pick(r, "i1", "i2")
	}
	return e
}

var jumps = []time.Duration{0, 1, 999, time.Millisecond, time.Second, 10 * time.Second, 299 * time.Second,
	300 * time.Second, 301 * time.Second, 599 * time.Second, 600 * time.Second, 600*time.Second + 1, 1000 * time.Second}

type planned struct {
	t      time.Time
	event  *v1.Event
	update int
	rv     string
}

// play runs a plan through a fresh correlator; pickUpdate (generation only) may append update steps.
func play(opts record.CorrelatorOptions, start time.Time, plan []planned) []map[string]any {
	clock := testclock.NewFakeClock(start)
	opts.Clock = clock
	c := record.NewEventCorrelatorWithOptions(opts)
	results := map[int]*v1.Event{}
	var wants []map[string]any
	for k, p := range plan {
		clock.SetTime(p.t)
		want := map[string]any{}
		if p.event == nil {
			if ev, ok := results[p.update]; ok {
				ev = ev.DeepCopy()
				ev.ResourceVersion = p.rv
				c.UpdateState(ev)
			} else {
				want["missing"] = true
			}
			wants = append(wants, want)
			continue
		}
		res, err := c.EventCorrelate(p.event.DeepCopy())
		if err != nil {
			want["err"] = err.Error()
		}
		if res.Skip {
			want["skip"] = true
		} else {
			want["event"] = diff(compact(p.event, nil), compact(res.Event, p.event))
			if res.Patch != nil {
				want["patch"] = json.RawMessage(res.Patch)
			}
			results[k] = res.Event.DeepCopy()
		}
		wants = append(wants, want)
	}
	return wants
}

func runScript(r *rand.Rand, i int) script {
	opts := record.CorrelatorOptions{}
	sopts := map[string]any{}
	if chance(r, 0.5) && i%10 != 0 { // the probe runs with the defaults
		opts.LRUCacheSize = pick(r, 0, 1, 2, 3, 8)
		opts.BurstSize = pick(r, 0, 1, 3, 5)
		opts.QPS = pick(r, float32(0), float32(0.01), float32(1))
		opts.MaxEvents = pick(r, 0, 2, 3, 5)
		opts.MaxIntervalInSeconds = pick(r, 0, 5, 60)
		sopts = map[string]any{"lruCacheSize": opts.LRUCacheSize, "burst": opts.BurstSize, "qps": opts.QPS,
			"maxEvents": opts.MaxEvents, "maxIntervalInSeconds": opts.MaxIntervalInSeconds}
	}
	start := time.Unix(1_700_000_000, int64(r.Intn(1_000_000_000)))
	kinds := 1 + r.Intn(4)
	probe := pick(r, 3, 12, 30)
	n := 15 + r.Intn(30)
	if i%10 == 0 { // the probe: 40 Normal then 5 identical Warnings on one object
		n = 45
	}
	var plan []planned
	now := start
	for k := 0; k < n; k++ {
		if chance(r, 0.3) {
			now = now.Add(pick(r, jumps...))
		}
		// the server's answer to the write of the previous event (as recordToSink does right after writing);
		// sometimes none, as when the write failed
		if k > 0 && plan[len(plan)-1].event != nil && chance(r, 0.6) && i%10 != 0 {
			plan = append(plan, planned{t: now, update: len(plan) - 1, rv: fmt.Sprintf("%d", 100+k)})
			continue
		}
		ev := randEvent(r, now, kinds, probe)
		if i%10 == 0 {
			ev = &v1.Event{
				ObjectMeta:     metav1.ObjectMeta{Name: fmt.Sprintf("web.%x", now.UnixNano()+int64(k)), Namespace: "default"},
				InvolvedObject: v1.ObjectReference{Kind: "Pod", Namespace: "default", Name: "web", UID: "u"},
				Source:         v1.EventSource{Component: "kpy"},
				Type:           "Normal", Reason: "Tick", Message: fmt.Sprintf("tick %d", k%3), Count: 1,
				FirstTimestamp: metav1.NewTime(now), LastTimestamp: metav1.NewTime(now),
			}
			if k >= 40 {
				ev.Type, ev.Reason, ev.Message = "Warning", "Boom", "boom"
			}
		}
		plan = append(plan, planned{t: now, event: ev})
	}
	wants := play(opts, start, plan)
	// client-go forgets an arbitrary message once the aggregation set is full: replay to find the first step
	// where its own runs can differ; results from there on are not compared.
	stable := len(plan)
	for rep := 0; rep < 150; rep++ { // Go picks a map entry with an uneven chance (1/8 for some): replay often
		again := play(opts, start, plan)
		for k := 0; k < stable; k++ {
			a, _ := json.Marshal(wants[k])
			b, _ := json.Marshal(again[k])
			if string(a) != string(b) {
				stable = k
				break
			}
		}
	}
	s := script{Options: sopts, Start: start.UnixNano(), Stable: stable}
	for k, p := range plan {
		st := step{T: p.t.UnixNano(), Want: wants[k]}
		if k >= stable {
			st.Want = nil // client-go's own runs differ from here: not compared, not recorded (keeps the file deterministic)
		}
		if p.event != nil {
			st.Event = compact(p.event, nil)
		} else {
			u := p.update
			st.Update, st.RV = &u, p.rv
		}
		s.Steps = append(s.Steps, st)
	}
	return s
}

// compact is an event's JSON without empty fields; in a result, without the involved object and source when
// they are the input's (client-go always copies them).
func compact(ev *v1.Event, input *v1.Event) map[string]any {
	b, err := json.Marshal(ev)
	must(err)
	m := map[string]any{}
	must(json.Unmarshal(b, &m))
	for k, v := range m {
		if v == nil || v == "" {
			delete(m, k)
		}
	}
	if input != nil {
		if ev.InvolvedObject != input.InvolvedObject || ev.Source != input.Source {
			panic("involvedObject/source not copied")
		}
		delete(m, "involvedObject")
		delete(m, "source")
	}
	return m
}

// diff is what turns the input event into the result: changed or added keys, and "-" listing removed ones.
func diff(input, result map[string]any) map[string]any {
	out := map[string]any{}
	var removed []string
	for k := range input {
		if k == "involvedObject" || k == "source" {
			continue
		}
		if _, ok := result[k]; !ok {
			removed = append(removed, k)
		}
	}
	for k, v := range result {
		a, _ := json.Marshal(v)
		b, _ := json.Marshal(input[k])
		if string(a) != string(b) {
			out[k] = v
		}
	}
	if len(removed) > 0 {
		sort.Strings(removed)
		out["-"] = removed
	}
	return out
}
