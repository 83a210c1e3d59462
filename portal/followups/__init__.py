"""Follow-ups that chase themselves: a mediation's follow-up date becomes a task of its
author and the community's officers, reminded on the day and recorded with its result;
a hazard's rectification becomes a numbered notice (责令整改通知书) printed on A4, whose
QR code lets the party report the fix with a photo, and whose passed deadline is chased
the day after."""
