"""Pages of the survey: coordinators' lists and progress, managers' questionnaires, respondents' answering."""
