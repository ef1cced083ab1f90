"""What happens to collected events after they are stored: the .json.gz archive (batches, hourly
compaction, restore), exports, retention, and deletion of a site's data or of the site."""
