from .outbox import OutboxEntry
from .surveys import FollowUpCall, Survey, SurveyLink

__all__ = ["FollowUpCall", "OutboxEntry", "Survey", "SurveyLink"]
