"""Stand-in for seed 000's tool-dispatch demo: one low-risk call runs, one critical shell call is blocked."""
import os
import sys

if os.environ.get("MVAR_REQUIRE_EXECUTION_TOKEN") == "1" and not os.environ.get("MVAR_EXEC_TOKEN_SECRET"):
    sys.exit("Execution token required")
print("executed_calls=1 blocked_calls=1")
