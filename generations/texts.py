"""What the portal says about a generation, in words: one sentence per state, one per error code.

Presentation only (no queries): the views and templates call these with facts they already have;
generations.progress works out the waiting figures.
"""

from __future__ import annotations

from generations.models import FINISHING, Generation, Status

# One line under the status badge, saying what is happening and what happens next.
STATE_TEXTS = {
    Status.AWAITING_REVIEW: (
        "Held for review: a moderator looks at this request before it is sent to the provider. "
        "Nothing is charged unless it runs."
    ),
    Status.PENDING: "Waiting to be sent to the provider.",
    Status.QUEUED: "Accepted by the provider, waiting for a free GPU.",
    Status.RUNNING: "Rendering at the provider.",
    FINISHING: "Rendered. Copying the video to our storage; it is ready in a moment.",
    Status.SUCCEEDED: "Done.",
    Status.FAILED: "The provider could not make this video. The held credits are back in your balance.",
    Status.CANCELLED: "Cancelled. The held credits are back in your balance.",
    Status.EXPIRED: "The provider did not finish in time. The held credits are back in your balance.",
    Status.REJECTED: "Rejected by moderation. Nothing was charged.",
}

# error_code → what it means for the user. Unknown codes fall back to the provider's message.
ERROR_TEXTS = {
    "cancelled": "Cancelled before it finished.",
    "deadline_exceeded": "The provider took longer than the time limit for this job.",
    "expired": "The provider's task expired before a video was made.",
    "failed": "The provider reported a failure.",
    "no_video": "The provider said it finished but returned no video.",
    "provider_unavailable": "The provider was unavailable and did not accept the job.",
    "rejected": "Rejected by moderation.",
    "result_unavailable": "The provider finished, but its video could not be fetched. Nothing was charged.",
    "submission_unconfirmed": "We could not confirm that the provider received the job.",
}


def state_text(generation: Generation) -> str:
    return STATE_TEXTS.get(generation.stage, generation.get_status_display())


def error_text(generation: Generation) -> str:
    """The error in words, once: the code's meaning, then the provider's or moderator's detail
    when it adds something."""
    headline = ERROR_TEXTS.get(generation.error_code, "")
    detail = generation.moderation_note if generation.status == Status.REJECTED else generation.error_message
    detail = (detail or "").strip()
    if detail and detail.rstrip(".").lower() != headline.rstrip(".").lower():
        return f"{headline} {detail}".strip()
    return headline or detail


def seconds_text(seconds: float | None) -> str:
    """45 s, 1 min 20 s, 12 min, 2 h 5 min: never "0 minutes"."""
    if seconds is None:
        return ""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 10:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
