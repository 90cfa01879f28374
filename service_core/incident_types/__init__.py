"""incident types: templates of work (tasks, skills, suggested parts, duration)."""
