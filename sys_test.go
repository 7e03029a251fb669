package yunrt

import "syscall"

var syscallECONNREFUSED error = syscall.ECONNREFUSED
