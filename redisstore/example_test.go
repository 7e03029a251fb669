package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/redisstore"
)

// Two processes share one Redis: when the first one's breaker for an
// endpoint opens, the second stops sending to it too.
func Example() {
	mr, _ := miniredis.Run() // in production: your Redis
	defer mr.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"RequestId":"1","Code":"ServiceUnavailable","Message":"down"}`)
	}))
	defer api.Close()
	host := api.Listener.Addr().String()

	process := func() *yunrt.Transport {
		rdb := redis.NewClient(redisstore.ClientOptions(mr.Addr()))
		store := redisstore.New(rdb, redisstore.Options{})
		return yunrt.New(nil,
			yunrt.WithHost(host, classify.Aliyun),
			yunrt.WithBreaker(classify.Aliyun, breaker.Settings{MinRequests: 1, MinOpenTimeout: time.Minute, OpenTimeout: time.Minute}),
			yunrt.WithSharedState(store, yunrt.SharedSettings{}))
	}
	first, second := process(), process()
	get := func(tr *yunrt.Transport) error {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, api.URL+"/?Action=DescribeRegions", nil)
		resp, err := tr.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	_ = get(first) // 503s: the first process's breaker opens, and it tells the fleet
	for !mr.Exists("yunrt:open:aliyun/" + host) {
		time.Sleep(time.Millisecond) // the verdict is published asynchronously
	}
	fmt.Println("second process refused:", errors.Is(get(second), breaker.ErrOpen))
	// Output: second process refused: true
}
