package breaker_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
)

// One clock reading per attempt edge: the caller reads the time once and
// hands it to AllowAt and DoneAt. Four failures of four attempts (at
// least MinRequests, at least half failed) open the breaker.
func ExampleSet_AllowAt() {
	s := breaker.NewSet(breaker.Settings{MinRequests: 4}, func(name, from, to string) {
		fmt.Printf("%s: %s -> %s\n", name, from, to)
	})
	now := time.Now()
	for range 4 {
		state, ticket, err := s.AllowAt("ecs.aliyuncs.com", now)
		if err != nil {
			fmt.Println("refused:", state)
			continue
		}
		ticket.DoneAt(breaker.Outcome{Class: classify.Retryable}, now) // a 503
	}
	_, _, err := s.AllowAt("ecs.aliyuncs.com", now)
	fmt.Println(errors.Is(err, breaker.ErrOpen))
	// Output:
	// ecs.aliyuncs.com: closed -> open
	// true
}
