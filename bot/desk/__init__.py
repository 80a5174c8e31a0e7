"""The advisers' desk, behind the staff pages and the action server: the hand-off to a person, the artisans'
callback requests and mask pledges, the internal API the action server calls, and the consoles' live feed."""
