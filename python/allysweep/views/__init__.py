"""Looking at cubes: hvplot / HoloViews figures (:mod:`.plot`), and the explore page and static
report built from them (:mod:`.explore`). Needs the ``plot`` extra."""
