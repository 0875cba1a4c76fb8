"""Each page's declared settings (one module per page file, holding `STATE`)."""
