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
# Cameras: a fleet of this many printers, some with a camera, each camera watched by
# one view that asks for a new picture this often (a dashboard's camera card).
CAMERA_FLEET = 50
CAMERAS = (0, 10)
CAMERA_VIEW_REFRESH = 10.0
# Real time: pushes measured while the views watch, this far apart.
CAMERA_PUSH_SAMPLES = 40
CAMERA_PUSH_SPACING = 1.0
# Real time: longest wait for the cameras' first statuses (read from spare tokens).
CAMERA_DISCOVERY_TIMEOUT = 240.0
