"""What the pipeline's steps consult: hashing (visitor hashes, daily salts), geo (the country of an
address), useragents (browser, OS, device, bots) and referrers (referring domain and source)."""
