"""Looking at cubes: hvplot / HoloViews figures (:mod:`.plot`), and the explore page and static
report built from them (:mod:`.explore`), which need the ``plot`` extra; LaTeX tables for papers
(:mod:`.table`), which do not."""
