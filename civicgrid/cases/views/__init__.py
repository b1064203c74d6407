"""Web pages of the closed loop: `public` (residents, the problem wall), `staff` (queues, case page, actions)."""
