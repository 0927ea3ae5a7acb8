"""Everything that touches Qt. Widgets get one AppContext; models are thin adapters over store queries."""
