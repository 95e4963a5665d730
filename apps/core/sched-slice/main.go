// sched-slice gives one thread a custom EEVDF slice: `sched-slice <tid> <nice> <slice-us>`.
//
// The core's frame sender thread (apps/core/src/audiosocket/sender-thread.mjs) asks for a short
// slice so that it preempts the busy event loop when its slot is due. Node has no call for
// sched_setattr(2), and the core's image holds node alone (no python3, no shell), so this small
// static program, built from the standard library only, makes the one system call for it. The
// kernel lets any process of the same user set a SCHED_OTHER thread's slice: no privilege.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"unsafe"
)

// schedAttr is the kernel's struct sched_attr (SCHED_ATTR_SIZE_VER1, 56 bytes).
type schedAttr struct {
	size     uint32
	policy   uint32
	flags    uint64
	nice     int32
	priority uint32
	runtime  uint64 // for SCHED_OTHER: the slice, in ns (Linux 6.12+)
	deadline uint64
	period   uint64
	utilMin  uint32
	utilMax  uint32
}

// The system call's number: the standard library's syscall package predates it on some arches.
var sysSchedSetattr = map[string]uintptr{"amd64": 314, "arm64": 274}

// The kernel takes slices from 0.1 to 100 ms.
const minSliceUs, maxSliceUs = 100, 100_000

func arg(name, text string, lo, hi int64) int64 {
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil || n < lo || n > hi {
		fail(2, fmt.Sprintf("%s must be a whole number from %d to %d, not %q", name, lo, hi, text))
	}
	return n
}

func fail(code int, why string) {
	fmt.Fprintln(os.Stderr, "sched-slice:", why)
	os.Exit(code)
}

func main() {
	if len(os.Args) != 4 {
		fail(2, "usage: sched-slice <tid> <nice> <slice-us>")
	}
	tid := arg("tid", os.Args[1], 1, 1<<22)
	nice := arg("nice", os.Args[2], -20, 19)
	sliceUs := arg("slice-us", os.Args[3], minSliceUs, maxSliceUs)
	nr, known := sysSchedSetattr[runtime.GOARCH]
	if !known {
		fail(1, "no sched_setattr number known for "+runtime.GOARCH)
	}
	attr := schedAttr{nice: int32(nice), runtime: uint64(sliceUs) * 1_000}
	attr.size = uint32(unsafe.Sizeof(attr))
	// SCHED_OTHER (policy 0), no flags: only the slice changes, and the nice the thread had.
	if _, _, errno := syscall.Syscall(nr, uintptr(tid), uintptr(unsafe.Pointer(&attr)), 0); errno != 0 {
		fail(1, fmt.Sprintf("sched_setattr failed: %v (errno %d)", errno, int(errno)))
	}
}
