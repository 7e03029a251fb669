package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"time"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/sign"
)

// Piece is one piece of yunrt's hot path, measured alone through the
// public API on the exact inputs of the happy path (the Aliyun and Tencent
// answers and requests of Bodies and NewTemplate), so that a regression
// shows where it happens. BenchmarkPiece runs every piece; TestPiecesAllocs
// pins their allocations.
type Piece struct {
	// Name is the sub-benchmark name: BenchmarkPiece/<Name>.
	Name string
	// Notes says what one operation does.
	Notes string
	// Base names the piece whose cost is subtracted from this one's in the
	// table and the allocation pins ("" for none): the bare in-memory
	// transport, for the transport rows.
	Base string
	// Ref names a piece this one is compared with in the table's notes
	// (the default transport, for the ablation rows); "" for none.
	Ref string
	// Parallel pieces run with b.RunParallel, 4 goroutines per CPU (8 on
	// 2 cores).
	Parallel bool
	// New builds the piece: op runs one operation and reports a wrong
	// result. op is safe for concurrent use when Parallel is set.
	New func() (op func() error)
}

// PieceName is the benchmark name of a piece.
func PieceName(piece string) string { return "BenchmarkPiece/" + piece }

// Pieces returns the hot-path pieces in table order.
func Pieces() []Piece {
	var ps []Piece
	ps = append(ps, decodePieces()...)
	ps = append(ps, actionPieces()...)
	ps = append(ps, peekPieces()...)
	ps = append(ps, decidePiece())
	ps = append(ps, breakerPieces()...)
	ps = append(ps, floorPieces()...)
	ps = append(ps, signPieces()...)
	for _, p := range []classify.Provider{classify.Aliyun, classify.Tencent} {
		ps = append(ps, transportPieces(p)...)
	}
	return ps
}

// happyBody returns the 200 B answer of provider p.
func happyBody(p classify.Provider) Body {
	for _, b := range Bodies {
		if b.Provider == p && strings.HasSuffix(b.Name, "-200B") {
			return b
		}
	}
	panic("bench: no 200 B body for " + p.String())
}

// pieceNow is the arrival time every decoded answer gets, and the signing
// time (the in-memory answers' Date header says the same).
func pieceNow() time.Time { return time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC) }

func decodePieces() []Piece {
	// The inputs are made by New, not by Pieces: a 1 MiB body takes time.
	decode := func(p classify.Provider, input func() []byte, truncated bool) func() func() error {
		return func() func() error {
			data := input()
			t := classify.DefaultTable()
			resp := classify.Response{Status: http.StatusOK, Header: answerHeader(Body{Data: data}),
				Body: data, Truncated: truncated, Now: pieceNow()}
			return func() error {
				if r := t.Decode(p, resp); r.Class != classify.Success || r.Truncated != truncated {
					return fmt.Errorf("decode: class %v, truncated %v", r.Class, r.Truncated)
				}
				return nil
			}
		}
	}
	return []Piece{
		{Name: "decode/aliyun-200B", Notes: "classify Table.Decode of the Aliyun 200 B success answer", New: decode(classify.Aliyun, func() []byte { return happyBody(classify.Aliyun).Data }, false)},
		{Name: "decode/tencent-200B", Notes: "Table.Decode of the Tencent 200 B success answer", New: decode(classify.Tencent, func() []byte { return happyBody(classify.Tencent).Data }, false)},
		{Name: "decode/tencent-4KiB-truncated", Notes: "Table.Decode of a 4 KiB prefix of a longer Tencent 2xx answer (Truncated)", New: decode(classify.Tencent, func() []byte { return tencentBody(1 << 20)[:successPeek] }, true)},
	}
}

// answerHeader is the header of b's in-memory answer.
func answerHeader(b Body) http.Header {
	resp, err := NewMemTransport(b).RoundTrip(&http.Request{})
	if err != nil {
		panic(err) // it never fails
	}
	return resp.Header
}

// pieceBody reads a body again and again (Reset), with Read only, as a
// network body.
type pieceBody struct{ r bytes.Reader }

func (b *pieceBody) Read(p []byte) (int, error) { return b.r.Read(p) }

// successPeek is how much of a 2xx answer the transport reads ahead (its
// successPeekLimit).
const successPeek = 4 << 10

func actionPieces() []Piece {
	action := func(p classify.Provider) func() func() error {
		return func() func() error {
			req := NewTemplate(p, "http://"+MemHost(p)).Request()
			pol := policy.Default(p).WithDefaults()
			return func() error {
				a := classify.ActionOf(p, req, nil)
				if k := pol.KindOf(a); a.Name != "SendSms" || k != classify.Write {
					return fmt.Errorf("action %q, kind %v", a.Name, k)
				}
				return nil
			}
		}
	}
	lookup := func(p classify.Provider) func() func() error {
		return func() func() error {
			req := NewTemplate(p, "http://"+MemHost(p)).Request()
			return func() error {
				ak := classify.QueryValue(req.URL.RawQuery, "AccessKeyId")
				if auth := classify.HeaderValue(req.Header, "Authorization"); ak != "" || auth != "" {
					return fmt.Errorf("lookup: access key %q, authorization %q", ak, auth)
				}
				return nil
			}
		}
	}
	// sdkHeaders reads the action and the Authorization header of a
	// request as an official SDK writes its header map: darabonba (Aliyun)
	// in lower case, Tencent's as "X-TC-*" (neither is the canonical form
	// http.Header.Get looks up).
	sdkHeaders := func(p classify.Provider) func() func() error {
		return func() func() error {
			h := http.Header{}
			keys := []string{"host", "x-acs-version", "x-acs-action", "user-agent", "x-acs-date", "x-acs-signature-nonce", "accept", "x-acs-content-sha256", "authorization", "content-type"}
			action, want := "x-acs-action", "SendSms"
			if p == classify.Tencent {
				keys = []string{"Host", "X-TC-Action", "X-TC-Version", "X-TC-Timestamp", "X-TC-Region", "X-TC-RequestClient", "X-TC-Language", "Authorization", "Content-Type"}
				action = "X-TC-Action"
			}
			for _, k := range keys {
				h[k] = []string{want}
			}
			req := &http.Request{Method: http.MethodPost, URL: &url.URL{Scheme: "https", Host: MemHost(p), Path: "/"}, Header: h}
			return func() error {
				a := classify.ActionOf(p, req, nil)
				if auth := classify.HeaderValue(req.Header, "Authorization"); a.Name != want || auth != want {
					return fmt.Errorf("sdk headers: action %q (%s), authorization %q", a.Name, action, auth)
				}
				return nil
			}
		}
	}
	provider := func(p classify.Provider) func() func() error {
		return func() func() error {
			t, host := yunrt.New(NewMemTransport(happyBody(p))), MemHost(p)
			return func() error {
				if got := t.ProviderFor(host); got != p {
					return fmt.Errorf("provider of %s: %v", host, got)
				}
				return nil
			}
		}
	}
	return []Piece{
		{Name: "provider/aliyun", Notes: "Transport.ProviderFor of the Aliyun host (no WithHost: the public domains)", New: provider(classify.Aliyun)},
		{Name: "provider/tencent", Notes: "Transport.ProviderFor of the Tencent host", New: provider(classify.Tencent)},
		{Name: "action/aliyun", Notes: "classify.ActionOf + Policy.KindOf of Aliyun SendSms (query)", New: action(classify.Aliyun)},
		{Name: "action/tencent", Notes: "ActionOf + KindOf of Tencent SendSms (X-TC-Action header)", New: action(classify.Tencent)},
		{Name: "lookup/aliyun", Notes: "the access key of every request (its endpoint's key): QueryValue AccessKeyId + HeaderValue Authorization", New: lookup(classify.Aliyun)},
		{Name: "lookup/tencent", Notes: "the same on the Tencent request", New: lookup(classify.Tencent)},
		{Name: "sdk-headers/aliyun", Notes: "ActionOf + HeaderValue Authorization on a header map as darabonba writes it (10 lower-case keys)", New: sdkHeaders(classify.Aliyun)},
		{Name: "sdk-headers/tencent", Notes: "the same on a header map as the Tencent SDK writes it (9 keys, X-TC-* spelled so)", New: sdkHeaders(classify.Tencent)},
	}
}

// decidePiece is the policy's decision on a successful first attempt of
// a write.
func decidePiece() Piece {
	return Piece{Name: "decide/success", Notes: "Policy.Decide on the first attempt of a write answered with success (the default policy)",
		New: func() func() error {
			pol := policy.Default(classify.Aliyun).WithDefaults()
			o := policy.Outcome{Result: classify.Result{Provider: classify.Aliyun, Status: http.StatusOK}, Kind: classify.Write, Attempt: 1}
			return func() error {
				if d := pol.Decide(o); d.Verdict != policy.Done {
					return fmt.Errorf("decide: %v", d.Verdict)
				}
				return nil
			}
		}}
}

func peekPieces() []Piece {
	peek := func(input func() Body) func() func() error {
		return func() func() error {
			b := input()
			length := int64(len(b.Data))
			if b.NoLength {
				length = -1
			}
			body := &pieceBody{}
			want := min(len(b.Data), successPeek)
			var buf [512]byte // the request's own read-ahead buffer, as the transport has it
			return func() error {
				body.r.Reset(b.Data)
				prefix, _, truncated := classify.PeekPrefixInto(buf[:], body, length, min(classify.DefaultPeekLimit, successPeek))
				if len(prefix) != want || truncated != (len(b.Data) > want) {
					return fmt.Errorf("peek: %d bytes, truncated %v", len(prefix), truncated)
				}
				return nil
			}
		}
	}
	return []Piece{
		{Name: "peek/aliyun-200B", Notes: "classify.PeekPrefixInto a 512 B buffer (the request's) of the Aliyun 200 B answer, Content-Length known (the 2xx limit, 4 KiB)", New: peek(func() Body { return happyBody(classify.Aliyun) })},
		{Name: "peek/tencent-200B-nolength", Notes: "PeekPrefixInto of the Tencent 200 B answer without Content-Length: it fits the buffer", New: peek(func() Body { b := happyBody(classify.Tencent); b.NoLength = true; return b })},
		{Name: "peek/tencent-1MiB-nolength", Notes: "PeekPrefixInto of a 1 MiB Tencent answer without Content-Length: a 4 KiB prefix, allocated once the buffer fills", New: peek(func() Body { return Body{Provider: classify.Tencent, Data: tencentBody(1 << 20), NoLength: true} })},
	}
}

func breakerPieces() []Piece {
	allowDone := func() func() error {
		s := breaker.NewSet(breaker.Settings{}, nil)
		name := "aliyun/" + MemHost(classify.Aliyun) // as the transport names it
		return func() error {
			state, t, err := s.Allow(name)
			if err != nil || state != "closed" {
				return fmt.Errorf("breaker: %s, %w", state, err)
			}
			t.Done(breaker.Outcome{Class: classify.Success})
			return nil
		}
	}
	return []Piece{
		{Name: "breaker/seq", Notes: "breaker Set.Allow + Ticket.Done(success), closed, one endpoint", New: allowDone},
		{Name: "breaker/par", Notes: "the same from 4 goroutines per CPU (8 on 2 cores), one endpoint", Parallel: true, New: allowDone},
	}
}

// floorTrace is a trace with the send guard's four hooks, doing nothing.
func floorTrace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GetConn:      func(string) {},
		GotConn:      func(httptrace.GotConnInfo) {},
		WroteHeaders: func() {},
		WroteRequest: func(httptrace.WroteRequestInfo) {},
	}
}

// floorAttempt is the least an attempt costs a transport that keeps
// yunrt's promises: req's clone under a cancellable context that carries
// trace.
func floorAttempt(req *http.Request, trace *httptrace.ClientTrace) (*http.Request, context.CancelCauseFunc) {
	actx, cancel := context.WithCancelCause(req.Context())
	return req.WithContext(httptrace.WithClientTrace(actx, trace)), cancel
}

// floorPieces are what an attempt must do however lean the rest becomes:
// a cancellable attempt context, the send guard's trace, the clone; and,
// to see an error inside an HTTP 200, a read-ahead and its decode. The
// last piece is the floor issue 17 names ("the clone and one read-ahead
// are inherent"), over the bare transport: the least any transport that
// finds errors inside 200 answers adds to a round trip.
func floorPieces() []Piece {
	return []Piece{floorPiece(), readAheadFloorPiece(false), readAheadFloorPiece(true)}
}

// readAheadFloorPiece is the least a transport does to find an error
// inside a 200 answer: read the answer's start into a buffer it owns, and
// decode it; with clone, also send a shallow clone of the request
// (Request.WithContext), the least a transport that sends a request again
// does.
func readAheadFloorPiece(clone bool) Piece {
	name, notes := "floor/read-ahead-decode", "floor reference: the bare MemTransport's Aliyun 200 B answer read ahead into a 512 B buffer (PeekPrefixInto) and decoded (Decode, without the success's ids: NoSuccessIDs) instead of read to the end, as any transport that finds errors inside 200 answers must"
	if clone {
		name, notes = "floor/clone-read-ahead-decode", "issue 17's inherent floor: floor/read-ahead-decode of a request sent as a shallow clone (Request.WithContext), without trace or cancel"
	}
	return Piece{Name: name, Base: "transport/aliyun/bare", Notes: notes,
		New: func() func() error {
			b := happyBody(classify.Aliyun)
			base := NewMemTransport(b)
			tmpl := NewTemplate(classify.Aliyun, "http://"+MemHost(classify.Aliyun))
			t := classify.DefaultTable()
			var buf [512]byte
			return func() error {
				req := tmpl.Request()
				if clone {
					req = req.WithContext(req.Context())
				}
				resp, err := base.RoundTrip(req)
				if err != nil {
					return err
				}
				prefix, rerr, truncated := classify.PeekPrefixInto(buf[:], resp.Body, resp.ContentLength, successPeek)
				res := t.Decode(classify.Aliyun, classify.Response{Status: resp.StatusCode, Header: resp.Header, Body: prefix, Truncated: truncated, Now: pieceNow(), NoSuccessIDs: true})
				if res.Class != classify.Success || truncated || len(prefix) != len(b.Data) || rerr != nil && rerr != io.EOF {
					return fmt.Errorf("read-ahead: class %v, %d bytes, truncated %v, %v", res.Class, len(prefix), truncated, rerr)
				}
				return resp.Body.Close()
			}
		}}
}

// floorPiece is the attempt's own floor: a cancellable attempt context,
// the send guard's trace, the clone.
func floorPiece() Piece {
	return Piece{Name: "floor/clone-trace-cancel", Notes: "floor reference: context.WithCancelCause + httptrace.WithClientTrace (4 hooks) + Request.WithContext + cancel",
		New: func() func() error {
			req := NewTemplate(classify.Aliyun, "http://"+MemHost(classify.Aliyun)).Request()
			trace := floorTrace()
			return func() error {
				out, cancel := floorAttempt(req, trace)
				cancel(nil)
				if httptrace.ContextClientTrace(out.Context()) == nil {
					return errors.New("floor: no trace")
				}
				return nil
			}
		}}
}

func signPieces() []Piece {
	signer := func(p classify.Provider, s sign.Signer) func() func() error {
		return func() func() error {
			req := NewTemplate(p, "http://"+MemHost(p)).Request()
			var body []byte
			if req.Body != nil {
				body, _ = io.ReadAll(req.Body)
			}
			stamp := sign.Stamp{Time: pieceNow()}
			return func() error {
				out := req.Clone(req.Context())
				if err := s.Sign(out.Context(), out, body, stamp); err != nil {
					return err
				}
				if out.Header.Get("Authorization") == "" && !strings.Contains(out.URL.RawQuery, "Signature=") {
					return errors.New("sign: no signature")
				}
				return nil
			}
		}
	}
	return []Piece{
		{Name: "sign/aliyun-rpc", Notes: "with a signer only: Request.Clone + sign.AliyunRPC (fresh nonce) of the Aliyun request", New: signer(classify.Aliyun, sdkSigner(classify.Aliyun))},
		{Name: "sign/tencent-tc3", Notes: "with a signer only: Request.Clone + sign.TencentTC3 of the Tencent request and its body", New: signer(classify.Tencent, sdkSigner(classify.Tencent))},
	}
}

// setObserver is an observer that does nothing, but is not NopObserver:
// the transport does whatever work it does for an observer.
type setObserver struct{ yunrt.NopObserver }

// transportPieces are the whole transport by ablation, in memory: yunrt.New
// with every default, then without breakers, with an observer set, and
// with the request made a read; each row's cost is shown over the bare
// MemTransport's (Base) and the ablations' over the default's (Ref).
func transportPieces(p classify.Provider) []Piece {
	pre := "transport/" + p.String() + "/"
	body := happyBody(p)
	rt := func(wrap, read bool, opts ...yunrt.Option) func() func() error {
		return func() func() error {
			rt, tmpl := transportPiece(p, wrap, read, opts...)
			return func() error { return roundTrip(rt, tmpl.Request(), len(body.Data)) }
		}
	}
	// signed sends the request as its SDK sends it: signed (once, with a
	// fixed time and nonce) by the provider's signer, whose output the
	// interop tests hold byte for byte to the official SDKs'.
	signed := func(wrap bool) func() func() error {
		return func() func() error {
			rt, tmpl := transportPiece(p, wrap, false)
			tmpl.req = sdkSigned(p, tmpl.req)
			return func() error { return roundTrip(rt, tmpl.Request(), len(body.Data)) }
		}
	}
	// withDeadline sends each request with a context deadline of its own,
	// as http.Client.Timeout and the SDKs' timeouts give it.
	withDeadline := func(wrap bool) func() func() error {
		return func() func() error {
			rt, tmpl := transportPiece(p, wrap, false)
			return func() error {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				return roundTrip(rt, tmpl.Request().WithContext(ctx), len(body.Data))
			}
		}
	}
	bare, def := pre+"bare", pre+"default"
	return []Piece{
		{Name: bare, Notes: "the bare MemTransport: a shallow request copy, the canned answer, its body read to the end", New: rt(false, false)},
		{Name: def, Base: bare, Notes: "yunrt.New(mem), every default (breakers on, no observer, SendSms a write)", New: rt(true, false)},
		{Name: pre + "breaker-off", Base: bare, Ref: def, Notes: "WithBreaker(p, breaker.Settings{Off: true})", New: rt(true, false, yunrt.WithBreaker(p, breaker.Settings{Off: true}))},
		{Name: pre + "observer", Base: bare, Ref: def, Notes: "WithObserver of an observer doing nothing (not NopObserver)", New: rt(true, false, yunrt.WithObserver(setObserver{}))},
		{Name: pre + "read", Base: bare, Ref: def, Notes: "the request made a read: ForRequest(ctx, AsRead())", New: rt(true, true)},
		{Name: pre + "attempt-timeout", Base: bare, Ref: def, Notes: "WithPolicy(p, policy.Policy{AttemptTimeout: time.Minute}): a timer per attempt (recycled) instead of the watchdog", New: rt(true, false, yunrt.WithPolicy(p, policy.Policy{AttemptTimeout: time.Minute}))},
		{Name: pre + "bare-deadline", Notes: "the bare MemTransport, each request with a context deadline of its own (context.WithTimeout, as http.Client.Timeout and the SDKs' timeouts set one)", New: withDeadline(false)},
		{Name: pre + "deadline", Base: pre + "bare-deadline", Ref: def, Notes: "yunrt.New(mem), every default, each request with a context deadline of its own: the attempt's context joins the caller's (its children map, its done channel)", New: withDeadline(true)},
		{Name: pre + "signer", Base: bare, Ref: def, Notes: "WithSigner(p, the provider's signer): yunrt signs every attempt (a deep clone, a fresh nonce and time)", New: rt(true, false, yunrt.WithSigner(p, sdkSigner(p)))},
		{Name: pre + "bare-signed", Notes: "the bare MemTransport, the request signed as its SDK signs it (" + sdkScheme(p) + ")", New: signed(false)},
		{Name: pre + "signed", Base: pre + "bare-signed", Ref: def, Notes: "yunrt.New(mem), every default, the request signed as its SDK signs it: its access key is found where the signature carries it", New: signed(true)},
	}
}

// sdkScheme names the signature sdkSigned gives a request of p.
func sdkScheme(p classify.Provider) string {
	if p == classify.Aliyun {
		return "RPC: AccessKeyId, SignatureNonce, Signature and more in the query"
	}
	return "TC3: Authorization, X-TC-Timestamp"
}

// sdkSigner is the signer of p's SDK (the Aliyun RPC or Tencent TC3
// scheme) with the bench's credentials.
func sdkSigner(p classify.Provider) sign.Signer {
	creds := sign.StaticCredentials{AccessKeyID: "LTAI5tBenchKeyId", AccessKeySecret: "bench-secret"}
	if p == classify.Aliyun {
		return sign.AliyunRPC(creds)
	}
	return sign.TencentTC3(creds)
}

// sdkSigned returns a copy of req signed as p's SDK signs it, with
// pieceNow's time and a fixed nonce.
func sdkSigned(p classify.Provider, req *http.Request) *http.Request {
	s := sdkSigner(p)
	out := req.Clone(req.Context())
	var body []byte
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err != nil {
			panic(err)
		}
		body, _ = io.ReadAll(rc)
	}
	if err := s.Sign(out.Context(), out, body, sign.Stamp{Time: pieceNow(), Nonce: "b3a2c1d0-bench-nonce"}); err != nil {
		panic(err)
	}
	return out
}

// transportPiece is the transport (yunrt over the MemTransport when wrap)
// and the request template of a transport piece of p, the template made a
// read when read.
func transportPiece(p classify.Provider, wrap, read bool, opts ...yunrt.Option) (http.RoundTripper, *Template) {
	var rt http.RoundTripper = NewMemTransport(happyBody(p))
	if wrap {
		rt = yunrt.New(rt, opts...)
	}
	tmpl := NewTemplate(p, "http://"+MemHost(p))
	if read {
		tmpl.req = tmpl.req.WithContext(yunrt.ForRequest(context.Background(), yunrt.AsRead()))
	}
	return rt, tmpl
}

// PieceTable renders the pieces of s as a markdown table: piece | ns/op |
// allocs/op | B/op | notes, medians over the runs. A row with a Base shows
// its cost over the base's (the median of the per-run paired difference);
// a row with a Ref says in its notes what it adds over the ref's cost.
// Pieces absent from s are left out.
func PieceTable(s *BenchSet) string {
	var b strings.Builder
	b.WriteString("| piece | ns/op | allocs/op | B/op | notes |\n| --- | --- | --- | --- | --- |\n")
	for _, p := range Pieces() {
		n := PieceName(p.Name)
		if math.IsNaN(s.Median(n, "ns/op")) {
			continue
		}
		cells := []string{"`" + p.Name + "`"}
		for _, unit := range []string{"ns/op", "allocs/op", "B/op"} {
			cells = append(cells, pieceCell(s, p, unit))
		}
		notes := p.Notes
		if p.Ref != "" {
			r := PieceName(p.Ref)
			notes += fmt.Sprintf("; over `%s`: %s, %+.0f allocs, %+.0f B", p.Ref, nsSigned(s.Paired(n, r, "ns/op", diff)),
				s.Median(n, "allocs/op")-s.Median(r, "allocs/op"), s.Median(n, "B/op")-s.Median(r, "B/op"))
		}
		b.WriteString("| " + strings.Join(append(cells, strings.ReplaceAll(notes, "|", `\|`)), " | ") + " |\n")
	}
	return b.String()
}

// pieceCell is one unit of a piece: its median, and its cost over its
// base's when it has one.
func pieceCell(s *BenchSet, p Piece, unit string) string {
	n := PieceName(p.Name)
	v := s.Median(n, unit)
	str := func(v float64) string {
		switch unit {
		case "ns/op":
			return ns(v)
		case "B/op":
			return fmt.Sprintf("%.0f B", v)
		}
		return fmt.Sprintf("%.0f", v)
	}
	if p.Base == "" || math.IsNaN(s.Median(PieceName(p.Base), unit)) {
		return str(v)
	}
	d := s.Paired(n, PieceName(p.Base), unit, diff)
	if unit == "ns/op" {
		return str(v) + " (" + nsSigned(d) + ")"
	}
	return fmt.Sprintf("%s (%+.0f)", str(v), d)
}
