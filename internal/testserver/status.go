package testserver

// statusFor returns the documented HTTP status of provider error code, or 0
// when it is not known. It asks the server's copy of classify's default
// table (classify.DefaultStatus would rebuild that table on every call).
func (s *Server) statusFor(code string) int {
	return s.codes.Status(s.p, code)
}
