-- wrk script of the `http` workload: one line with the exact figures from wrk's latency histogram.
function done(summary, latency, requests)
    local errors = summary.errors
    io.write(string.format("result rps=%.1f p50_ms=%.3f p99_ms=%.3f non2xx=%d sockerr=%d\n",
        summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
