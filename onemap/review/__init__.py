"""审查: reviews of projects against the one map (项目合规性审查 in :mod:`onemap.review.compliance`)."""
