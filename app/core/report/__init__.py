"""Reports: frames/notes CSV, the PDF report, timeline figure, agreement, face blur."""
