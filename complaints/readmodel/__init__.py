"""The read model's pure core: the case fold, the case document, timeline entries and KPIs."""
