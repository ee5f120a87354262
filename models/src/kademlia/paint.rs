//! The picture of a Kademlia state: TODO
use super::KademliaModel;
use crate::paint::Painter;
impl Painter for KademliaModel {}
