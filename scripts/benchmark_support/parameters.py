"""What the benchmark measures and for how long (shared by the measurements and the report)."""

FLEETS = (1, 10, 50, 100, 200)
BASELINE_FLEETS = (1, 10, 50, 100)
# Real time: runs of setup and unload, single pushes, pushes to the whole fleet.
RUNS = 5
PUSH_SAMPLES = 20
PUSH_BURSTS = 5
# Simulated time, in seconds.
SERVER_POLL = 30.0
WARMUP = 15 * 60
UP_WINDOW = 20 * 60
SETTLE_DOWN = 5 * 60
DOWN_WINDOW = 10 * 60
OUTAGE = 60 * 60
# The baseline asks for 102 requests a minute at 50 printers, against 100 a minute
# plus a burst allowance of 120: the allowance lasts about 35 minutes.
BASELINE_WARMUP = 45 * 60
BASELINE_WINDOW = 20 * 60
FRESHNESS_SAMPLES = 100
