// Command gosort-gen writes kpy's differential test data for Go's sort.Sort (pdqsort: not stable, but
// deterministic): inputs with many equal keys and the permutation sort.Sort leaves them in. See ../README.md
// for how to rerun it. Deterministic for a given -seed (and Go's sort package; pdqsort since Go 1.19).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"sort"
)

var (
	seed   = flag.Int64("seed", 1, "random seed")
	outDir = flag.String("out", ".", "where to write gosort.json")
)

type elem struct{ key, index int }

// byKey compares keys only, so equal keys are left wherever pdqsort puts them.
type byKey []elem

func (s byKey) Len() int           { return len(s) }
func (s byKey) Less(i, j int) bool { return s[i].key < s[j].key }
func (s byKey) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }

type testCase struct {
	Name string `json:"name"`
	Keys []int  `json:"keys"`
	Perm []int  `json:"perm"` // perm[i] is the original index of the element sort.Sort puts at i
}

func run(name string, keys []int) testCase {
	data := make(byKey, len(keys))
	for i, k := range keys {
		data[i] = elem{k, i}
	}
	sort.Sort(data)
	perm := make([]int, len(keys))
	for i, e := range data {
		perm[i] = e.index
	}
	return testCase{name, keys, perm}
}

func pattern(kind string, n int, r *rand.Rand) []int {
	keys := make([]int, n)
	for i := range keys {
		switch kind {
		case "sorted":
			keys[i] = i / 3
		case "reversed":
			keys[i] = (n - i) / 3
		case "equal":
			keys[i] = 7
		case "sawtooth":
			keys[i] = i % 10
		case "organ":
			if i < n/2 {
				keys[i] = i / 2
			} else {
				keys[i] = (n - i) / 2
			}
		case "nearly":
			keys[i] = i / 4
		case "two":
			keys[i] = r.Intn(2)
		}
	}
	if kind == "nearly" && n > 1 {
		for s := 0; s < 3; s++ {
			i, j := r.Intn(n), r.Intn(n)
			keys[i], keys[j] = keys[j], keys[i]
		}
	}
	return keys
}

func main() {
	flag.Parse()
	r := rand.New(rand.NewSource(*seed))
	var cases []testCase
	lengths := []int{}
	for n := 0; n <= 160; n++ {
		lengths = append(lengths, n)
	}
	for n := 161; n <= 300; n += 7 {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		span := []int{1, 2, 3, 5, 10, 50, 1000}[r.Intn(7)]
		keys := make([]int, n)
		for i := range keys {
			keys[i] = r.Intn(span)
		}
		cases = append(cases, run(fmt.Sprintf("random n=%d span=%d", n, span), keys))
	}
	for _, kind := range []string{"sorted", "reversed", "equal", "sawtooth", "organ", "nearly", "two"} {
		for _, n := range []int{8, 12, 13, 49, 50, 51, 100, 257} {
			cases = append(cases, run(fmt.Sprintf("%s n=%d", kind, n), pattern(kind, n, r)))
		}
	}
	for _, n := range []int{2000, 5000} {
		keys := make([]int, n)
		for i := range keys {
			keys[i] = r.Intn(20)
		}
		cases = append(cases, run(fmt.Sprintf("random n=%d span=20", n), keys))
	}
	cases = append(cases, run("organ n=2000", pattern("organ", 2000, r)))
	out, err := json.Marshal(map[string]any{"go": runtime.Version(), "seed": *seed, "cases": cases})
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(filepath.Join(*outDir, "gosort.json"), append(out, '\n'), 0o644); err != nil {
		panic(err)
	}
}
