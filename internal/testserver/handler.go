package testserver

import "net/http"

// ServeHTTP answers r as the server's own listener would: it lets a front
// server on another address (package yunrttest, "yunrt serve") hand a
// request to this emulator. The front server's ResponseWriter must support
// http.Hijacker for Reset and Hangup faults (net/http's does). Attempts
// served this way count as any other; Connections does not see them.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.serve(w, r) }
