"""Every write of the volunteering app (the ledger's own tables are written only by ledger.py).

One module per part of the work; the public names are re-exported here.
"""

from .activities import (  # noqa: F401
    ActivityConflict,
    check_in,
    check_in_by_code,
    check_out,
    check_out_by_code,
    confirm_all,
    confirm_hours,
    create_activity,
    sign_up,
    withdraw,
)
from .cobuilding import (  # noqa: F401
    add_resource,
    create_unit,
    list_need,
    move_project,
    start_project,
    suggest_resources,
)
from .rewards import (  # noqa: F401
    RewardConflict,
    add_reward,
    cancel_redemption,
    confirm_redemption,
    create_shop,
    redeem,
    restock,
)
from .schemes import create_scheme, reverse_movement, run_expiry, scheme_for, update_rules  # noqa: F401
