// promql: Prometheus' own PromQL parser and engine, for the tests of the Grafana dashboard the chart ships.
// It reads one JSON request on stdin and answers on stdout:
//
//	{"scrapes": [{"timeMs": 1700000000000, "labels": {"job": "speaker"}, "text": "<exposition format>"}],
//	 "queries": [{"expr": "sum(up)", "timeMs": 1700000000000}]}
//
// Every scrape is parsed with Prometheus' text-format parser, its target labels are added, and its samples are
// stored at timeMs in a TSDB in a temporary directory; each query is then parsed (its vector selectors' metric
// names are returned) and, when timeMs is set, evaluated as an instant query by the PromQL engine.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/textparse"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/tsdb"
)

type scrape struct {
	TimeMs int64             `json:"timeMs"`
	Labels map[string]string `json:"labels"`
	Text   string            `json:"text"`
}

type query struct {
	Expr   string `json:"expr"`
	TimeMs int64  `json:"timeMs"`
}

type request struct {
	Scrapes []scrape `json:"scrapes"`
	Queries []query  `json:"queries"`
}

type result struct {
	Expr      string   `json:"expr"`
	Metrics   []string `json:"metrics"`
	Error     string   `json:"error,omitempty"`
	Evaluated bool     `json:"evaluated"`
	Series    int      `json:"series"`
	// Finite counts the series whose value is a number (not NaN), what a dashboard can draw.
	Finite int    `json:"finite"`
	Value  string `json:"value,omitempty"`
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fail(fmt.Errorf("reading the request: %w", err))
	}
	dir, err := os.MkdirTemp("", "herald-promql-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	db, err := tsdb.Open(dir, nil, nil, tsdb.DefaultOptions(), nil)
	if err != nil {
		fail(err)
	}
	defer db.Close()
	samples, err := load(db, req.Scrapes)
	if err != nil {
		fail(err)
	}
	engine := promql.NewEngine(promql.EngineOpts{
		MaxSamples:    10_000_000,
		Timeout:       time.Minute,
		LookbackDelta: 5 * time.Minute,
	})
	results := make([]result, 0, len(req.Queries))
	for _, q := range req.Queries {
		results = append(results, run(engine, db, q))
	}
	out := json.NewEncoder(os.Stdout)
	out.SetIndent("", "  ")
	if err := out.Encode(map[string]any{"samples": samples, "results": results}); err != nil {
		fail(err)
	}
}

func load(db *tsdb.DB, scrapes []scrape) (int, error) {
	samples := 0
	for i, s := range scrapes {
		app := db.Appender(context.Background())
		st := labels.NewSymbolTable()
		p := textparse.NewPromParser([]byte(s.Text), st, false)
		for {
			entry, err := p.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return 0, fmt.Errorf("scrape %d: %w", i, err)
			}
			if entry != textparse.EntrySeries {
				continue
			}
			var lset labels.Labels
			p.Labels(&lset)
			_, _, v := p.Series()
			b := labels.NewBuilder(lset)
			for k, val := range s.Labels {
				b.Set(k, val)
			}
			if _, err := app.Append(0, b.Labels(), s.TimeMs, v); err != nil {
				return 0, fmt.Errorf("scrape %d: %s: %w", i, lset, err)
			}
			samples++
		}
		if err := app.Commit(); err != nil {
			return 0, err
		}
	}
	return samples, nil
}

func run(engine *promql.Engine, db *tsdb.DB, q query) result {
	r := result{Expr: q.Expr, Metrics: []string{}}
	expr, err := parser.NewParser(parser.Options{}).ParseExpr(q.Expr)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok {
			name := vs.Name
			for _, m := range vs.LabelMatchers {
				if name == "" && m.Name == labels.MetricName {
					name = m.Value
				}
			}
			r.Metrics = append(r.Metrics, name)
		}
		return nil
	})
	if q.TimeMs == 0 {
		return r
	}
	ctx := context.Background()
	iq, err := engine.NewInstantQuery(ctx, db, nil, q.Expr, time.UnixMilli(q.TimeMs))
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer iq.Close()
	res := iq.Exec(ctx)
	r.Evaluated = true
	if res.Err != nil {
		r.Error = res.Err.Error()
		return r
	}
	switch v := res.Value.(type) {
	case promql.Vector:
		r.Series = len(v)
		for _, s := range v {
			if s.H != nil || !math.IsNaN(s.F) {
				r.Finite++
			}
		}
	case promql.Matrix:
		r.Series = len(v)
		r.Finite = len(v)
	case promql.Scalar:
		r.Series = 1
		if !math.IsNaN(v.V) {
			r.Finite = 1
		}
	}
	r.Value = res.Value.String()
	return r
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "promql:", err)
	os.Exit(1)
}
