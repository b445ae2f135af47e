"""`session-player doctor`: what breaks a chair in the field, checked, each with its fix.

`checks.CHECKS` are small functions of a `DoctorContext` (the config, who the service runs
as, its unit's settings) and a `System` (every probe of the machine), each returning one
`CheckResult`. Tests give them a fake System for each failure and the real one where the
machine can show it (two streams on the virtual sound card, a read-only working directory).
"""

from player.doctor.checks import CHECKS, DoctorContext, run_checks
from player.doctor.model import CheckResult
from player.doctor.system import System

__all__ = ["CHECKS", "CheckResult", "DoctorContext", "System", "run_checks"]
