"""Reading and writing files: police.uk CSV/JSON, local extracts, review packs. No Qt, no database."""
