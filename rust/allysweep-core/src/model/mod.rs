//! The model itself (MODEL.md §3-§8, CRISIS.md §2): parameters and their domains, the two
//! distributions, the crisis subgame, the equilibrium record with its flags, and the checks every
//! reported equilibrium carries.

pub mod checks;
pub mod crisis;
pub mod dist;
pub mod equilibrium;
pub mod params;
pub mod welfare;
