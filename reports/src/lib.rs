//! Markdown/SVG report generation. Filled by the replicate issue.
