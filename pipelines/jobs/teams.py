"""The Teams tab's actions as Launchpad jobs, one typed config each at the top of the run config.

As in `pipelines.jobs.tools`, a config mapping hands the form to the job's one op, so
`execute_in_process(run_config={"team": "Acme", "product": "Python 101", "seats": 10})` launches
allocate_seats as the UI would. Seat usage and the Teams tab follow each action that changed
something (it reports `dashboard/teams`) by declarative automation (`pipelines.sensors.automation`).
"""

from dagster import JobDefinition, RunConfig, config_mapping, job

from assets.dashboard.team_actions import (
    AllocateSeatsConfig,
    ArchiveTeamConfig,
    AssignSeatsConfig,
    MergeTeamsConfig,
    MoveMembersConfig,
    RemoveMembersConfig,
    RenameTeamConfig,
    TeamActionConfig,
    UnassignSeatsConfig,
    team_action_op,
)


def _team_job(config_type: type[TeamActionConfig], description: str) -> JobDefinition:
    action = team_action_op(config_type, description)

    @config_mapping
    def _form(config: config_type) -> RunConfig:
        return RunConfig(ops={action.name: config})

    @job(name=config_type.action, config=_form, description=f"Teams tab → {description}")
    def _job() -> None:
        action()

    return _job


AUDITED = " Recorded in the audit log (dashboard/audit_log), refusals too."

team_jobs = [
    _team_job(
        AllocateSeatsConfig,
        "Allocate seats: set a team's seats of a product to a number, or add seats, optionally "
        "until an expiry date. Refused for an archived team." + AUDITED,
    ),
    _team_job(
        AssignSeatsConfig,
        "Assign seats of a product to team members (a push then enrols them); refused beyond "
        "the seats available, counting seats in use and seats assigned." + AUDITED,
    ),
    _team_job(
        UnassignSeatsConfig,
        "Unassign seats: the members give their seat of the product back to the team; their "
        "Thinkific enrollments are never deleted." + AUDITED,
    ),
    _team_job(
        RenameTeamConfig,
        "Rename a team; refused when another team has the name (in any case)." + AUDITED,
    ),
    _team_job(
        MergeTeamsConfig,
        "Merge a team into another: members, group mappings, seats and assignments move "
        "(duplicates collapse), then the merged team is archived." + AUDITED,
    ),
    _team_job(
        ArchiveTeamConfig,
        "Archive a team: its history is kept, but it leaves the Teams tab and seat "
        "counting." + AUDITED,
    ),
    _team_job(
        MoveMembersConfig,
        "Move members to another team, with their roles; their seats stay with the team that "
        "bought them." + AUDITED,
    ),
    _team_job(
        RemoveMembersConfig,
        "Remove members from a team, with their seats in it; users and their Thinkific "
        "enrollments stay." + AUDITED,
    ),
]
