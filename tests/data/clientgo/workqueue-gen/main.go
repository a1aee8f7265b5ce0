// Command workqueue-gen writes kpy's differential test data for client-go's util/workqueue: random scripts run
// step by step through its rate limiters (with a fake clock) and through its queue (dirty/processing sets,
// re-queue after Done, shutdown). See ../README.md for how to rerun it. Deterministic for a given -seed.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/time/rate"
	"k8s.io/client-go/util/workqueue"
)

var (
	seed     = flag.Int64("seed", 1, "random seed")
	nLimiter = flag.Int("limiter-scripts", 120, "number of rate limiter scripts")
	nQueue   = flag.Int("queue-scripts", 200, "number of queue scripts")
	outDir   = flag.String("out", ".", "where to write workqueue.json")
)

// fakeBucket is client-go's TypedBucketRateLimiter with the clock made explicit: When is exactly
// Limiter.Reserve().Delay(), which is ReserveN(time.Now(), 1).DelayFrom(time.Now()), at the script's time.
type fakeBucket struct {
	lim *rate.Limiter
	now *time.Time
}

func (b *fakeBucket) When(item any) time.Duration { return b.lim.ReserveN(*b.now, 1).DelayFrom(*b.now) }
func (b *fakeBucket) NumRequeues(item any) int     { return 0 }
func (b *fakeBucket) Forget(item any)              {}

type step map[string]any

func items(r *rand.Rand, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("ns%d/obj%d", r.Intn(2), i)
	}
	return out
}

func durations(r *rand.Rand) time.Duration {
	choices := []time.Duration{time.Nanosecond, time.Microsecond, time.Millisecond, 5 * time.Millisecond,
		10 * time.Millisecond, 100 * time.Millisecond, time.Second}
	return choices[r.Intn(len(choices))] * time.Duration(1+r.Intn(20))
}

func genLimiter(r *rand.Rand) map[string]any {
	now := time.Unix(1700000000, 0)
	kinds := []string{"exponential", "bucket", "max_of", "default", "fast_slow"}
	kind := kinds[r.Intn(len(kinds))]
	cfg := map[string]any{"kind": kind}
	var lim workqueue.RateLimiter
	newBucket := func() *fakeBucket {
		qps := []float64{0.5, 1, 10, 100, 3.7}[r.Intn(5)]
		burst := []int{1, 2, 5, 100}[r.Intn(4)]
		cfg["qps"], cfg["burst"] = qps, burst
		return &fakeBucket{rate.NewLimiter(rate.Limit(qps), burst), &now}
	}
	newExp := func() workqueue.RateLimiter {
		base, max := durations(r), durations(r)*time.Duration(1+r.Intn(1000))
		cfg["base_ns"], cfg["max_ns"] = base.Nanoseconds(), max.Nanoseconds()
		return workqueue.NewItemExponentialFailureRateLimiter(base, max)
	}
	switch kind {
	case "exponential":
		lim = newExp()
	case "bucket":
		lim = newBucket()
	case "max_of":
		lim = workqueue.NewMaxOfRateLimiter(newExp(), newBucket())
	case "default":
		// DefaultControllerRateLimiter with its bucket on the script's clock (10 qps, burst 100)
		lim = workqueue.NewMaxOfRateLimiter(
			workqueue.NewItemExponentialFailureRateLimiter(5*time.Millisecond, 1000*time.Second),
			&fakeBucket{rate.NewLimiter(rate.Limit(10), 100), &now})
	case "fast_slow":
		fast, slow, attempts := durations(r), durations(r)*10, r.Intn(5)
		cfg["fast_ns"], cfg["slow_ns"], cfg["max_fast_attempts"] = fast.Nanoseconds(), slow.Nanoseconds(), attempts
		lim = workqueue.NewItemFastSlowRateLimiter(fast, slow, attempts)
	}
	keys := items(r, 1+r.Intn(4))
	var steps []step
	n := 5 + r.Intn(150)
	for i := 0; i < n; i++ {
		item := keys[r.Intn(len(keys))]
		s := step{"item": item}
		if r.Intn(4) == 0 {
			adv := durations(r)
			if r.Intn(10) == 0 {
				adv *= 60
			}
			now = now.Add(adv)
			s["advance_ns"] = adv.Nanoseconds()
		}
		switch x := r.Intn(20); {
		case x < 14:
			s["op"], s["want"] = "when", lim.When(item).Nanoseconds()
		case x < 16:
			s["op"] = "forget"
			lim.Forget(item)
		default:
			s["op"], s["want"] = "num_requeues", lim.NumRequeues(item)
		}
		steps = append(steps, s)
	}
	return map[string]any{"limiter": cfg, "steps": steps}
}

// genQueue drives a plain queue from one goroutine: Get is only called when it cannot block (items queued or
// shutting down), so every answer is deterministic.
func genQueue(r *rand.Rand) map[string]any {
	q := workqueue.NewTyped[string]()
	keys := items(r, 1+r.Intn(6))
	processing := map[string]bool{}
	var steps []step
	n := 5 + r.Intn(80)
	shut := false
	for i := 0; i < n; i++ {
		x := r.Intn(20)
		switch {
		case x < 8:
			item := keys[r.Intn(len(keys))]
			q.Add(item)
			steps = append(steps, step{"op": "add", "item": item, "len": q.Len()})
		case x < 13:
			if q.Len() == 0 && !shut {
				steps = append(steps, step{"op": "len", "len": 0})
				continue
			}
			item, down := q.Get()
			if !down {
				processing[item] = true
			}
			steps = append(steps, step{"op": "get", "want": item, "shutdown": down, "len": q.Len()})
		case x < 18:
			var held []string
			for _, k := range keys {
				if processing[k] {
					held = append(held, k)
				}
			}
			if len(held) == 0 {
				steps = append(steps, step{"op": "len", "len": q.Len()})
				continue
			}
			item := held[r.Intn(len(held))]
			delete(processing, item)
			q.Done(item)
			steps = append(steps, step{"op": "done", "item": item, "len": q.Len()})
		default:
			if r.Intn(6) == 0 && !shut {
				shut = true
				q.ShutDown()
				steps = append(steps, step{"op": "shutdown", "len": q.Len(), "shutting_down": q.ShuttingDown()})
			} else {
				steps = append(steps, step{"op": "len", "len": q.Len()})
			}
		}
	}
	if !shut {
		q.ShutDown()
	}
	return map[string]any{"steps": steps}
}

func main() {
	flag.Parse()
	r := rand.New(rand.NewSource(*seed))
	var limiters, queues []map[string]any
	for i := 0; i < *nLimiter; i++ {
		limiters = append(limiters, genLimiter(r))
	}
	for i := 0; i < *nQueue; i++ {
		queues = append(queues, genQueue(r))
	}
	b, err := json.Marshal(map[string]any{"seed": *seed, "limiters": limiters, "queues": queues})
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(filepath.Join(*outDir, "workqueue.json"), append(b, '\n'), 0o644); err != nil {
		panic(err)
	}
}
