"""Pages of the appraisals app."""
