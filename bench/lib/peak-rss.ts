/**
 * Watches the process's resident set size from now on, sampling it every `intervalMs`: `before` is the
 * RSS at the start, `stop()` ends the sampling and gives the highest RSS seen (at least `before`).
 */
export function watchPeakRss(intervalMs = 20): { before: number; stop(): number } {
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, intervalMs);
  return {
    before,
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}
