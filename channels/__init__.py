"""Provider protocols (Twilio, Africa's Talking) translated to and from the alerts vocabulary."""
