"""The programme: sessions (``Talk``), speakers, and the public schedule pages."""
