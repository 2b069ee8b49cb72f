"""Scale benchmark for cmqinfra: plan and apply at account-quota size against the emulator."""
