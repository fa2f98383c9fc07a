// SPDX-License-Identifier: BSL-1.0

// httptest_server is http_bench's comparator: Go's net/http/httptest, the
// server trap::http::Server is measured against. It is a benchmark tool only,
// built by scripts/bench with the standard library alone.
//
// Usage:
//
//	httptest_server [-tls -ca FILE]   serves until its stdin closes
//	httptest_server -ready N          measures N NewServer+Close cycles
//
// Serving, it starts httptest.NewServer (NewTLSServer with -tls, writing the
// certificate a client must trust to FILE in PEM), answers every request with
// 200 "ok" (text/plain), prints the server's URL on a line of its own and
// exits when its stdin reaches end of file (the benchmark holds the other end
// of a pipe, so the server ends with the benchmark whatever happens to it).
//
// With -ready N it prints two lines, "ready_ns M" and "ready_close_ns C": the
// median time of httptest.NewServer until it returns (listening, the first
// request answerable) and the median time of NewServer followed by Close.
package main

import (
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"time"
)

func ok(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "ok")
}

func median(d []time.Duration) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

// ready measures n NewServer (timed alone) and n NewServer+Close cycles.
func ready(n int) {
	handler := http.HandlerFunc(ok)
	open := make([]time.Duration, 0, n)
	cycle := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		t0 := time.Now()
		s := httptest.NewServer(handler)
		t1 := time.Now()
		s.Close()
		t2 := time.Now()
		open = append(open, t1.Sub(t0))
		cycle = append(cycle, t2.Sub(t0))
	}
	fmt.Printf("ready_ns %d\nready_close_ns %d\n", median(open).Nanoseconds(),
		median(cycle).Nanoseconds())
}

func serve(tls bool, caFile string) error {
	var s *httptest.Server
	if tls {
		s = httptest.NewTLSServer(http.HandlerFunc(ok))
		block := &pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}
		if err := os.WriteFile(caFile, pem.EncodeToMemory(block), 0o600); err != nil {
			s.Close()
			return err
		}
	} else {
		s = httptest.NewServer(http.HandlerFunc(ok))
	}
	defer s.Close()
	fmt.Println(s.URL)
	io.Copy(io.Discard, os.Stdin) // until the benchmark closes the pipe or dies
	return nil
}

func main() {
	n := flag.Int("ready", 0, "measure N NewServer+Close cycles, print the medians")
	tls := flag.Bool("tls", false, "serve HTTPS (NewTLSServer)")
	caFile := flag.String("ca", "", "with -tls: write the server's certificate here (PEM)")
	flag.Parse()
	switch {
	case *n > 0:
		ready(*n)
	case *tls && *caFile == "":
		fmt.Fprintln(os.Stderr, "httptest_server: -tls needs -ca FILE")
		os.Exit(2)
	default:
		if err := serve(*tls, *caFile); err != nil {
			fmt.Fprintln(os.Stderr, "httptest_server:", err)
			os.Exit(1)
		}
	}
}
