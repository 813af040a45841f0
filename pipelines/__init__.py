"""The code location (`definitions`, `resources`) and the commands that run it: jobs and
schedules in `jobs/`, sensors in `sensors/`, commands and deployment code in `commands/`."""
