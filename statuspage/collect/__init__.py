"""Collecting data from outside into the status repository, as files a later build reads
(a build itself never goes to the network)."""
